/**
 * What the bot keeps of its own (no trading data): in-progress dialogs and one-shot button claims.
 * The bot sees these interfaces only; main.ts gives it the database-backed ones
 * (src/db/repos/bot-state.ts); declared in domain so db need not import the bot.
 */
export interface KeyValueStorage<T> {
  read(key: string): Promise<T | undefined>;
  write(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * Atomic "first one wins": true the first time `key` is claimed, false afterwards (also across
 * concurrent handlers and processes). Claims older than `olderThan` can be swept.
 */
export interface Claims {
  claimOnce(key: string): Promise<boolean>;
  sweep(olderThan: Date): Promise<void>;
}

export interface BotStore {
  /** dialog state (sealed: it may hold an API secret until the dialog ends) */
  dialogs<T>(): KeyValueStorage<T>;
  claims: Claims;
}
