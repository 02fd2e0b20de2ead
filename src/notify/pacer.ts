/**
 * Outgoing pacing for alerts: a global token bucket (Telegram: about 30 messages/s overall) and a
 * minimum gap per chat (about 1 message/s). Pure: the caller passes the clock (ms).
 */
export interface PacingConfig {
  /** messages per second over all chats; kept just under Telegram's 30 */
  globalPerSecond: number;
  /** messages that may leave at once */
  globalBurst: number;
  /** ms between two messages to one chat */
  perChatIntervalMs: number;
}

/**
 * A small burst: requests sent together can reach Telegram spread out (connection set-up, a busy
 * event loop) and later ones bunch up behind them; a smooth 29/s keeps every 1 s window under 30.
 */
export const TELEGRAM_PACING: PacingConfig = { globalPerSecond: 29, globalBurst: 3, perChatIntervalMs: 1000 };

export class Pacer {
  private tokens: number;
  private last: number;
  private readonly lastSent = new Map<number, number>();

  constructor(
    readonly config: PacingConfig,
    now: number,
  ) {
    this.tokens = config.globalBurst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.config.globalBurst, this.tokens + ((now - this.last) * this.config.globalPerSecond) / 1000);
    this.last = now;
  }

  /** whole messages that may leave now */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  chatReady(chatId: number, now: number): boolean {
    const last = this.lastSent.get(chatId);
    return last === undefined || now - last >= this.config.perChatIntervalMs;
  }

  /** ms until the next global token */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.config.globalPerSecond);
  }

  take(chatId: number, now: number): void {
    this.refill(now);
    this.tokens -= 1;
    this.lastSent.set(chatId, now);
  }

  /** a message to this chat left at `at` (e.g. before a restart) */
  sentEarlier(chatId: number, at: number): void {
    const known = this.lastSent.get(chatId);
    if (known === undefined || known < at) this.lastSent.set(chatId, at);
  }

  /** Telegram said wait: hold this chat back for `seconds`. */
  backOff(chatId: number, seconds: number, now: number): void {
    this.lastSent.set(chatId, now + seconds * 1000 - this.config.perChatIntervalMs);
  }

  /** Telegram refused for flooding: nothing more leaves until the bucket has refilled from zero */
  drain(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }

  /** forget chats idle for a while (memory stays bounded) */
  prune(now: number): void {
    for (const [chat, at] of this.lastSent) if (now - at > 60_000) this.lastSent.delete(chat);
  }
}
