/** Everything the engine's parts share, built once by createEngine. */
import type { Database } from '../db/client.ts';
import type { Repos } from '../db/repos/index.ts';
import type { Clock } from './clock.ts';
import type { Notifier } from './events.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { PositionBook } from './position-book.ts';
import type { AccountExchanges, EngineLogger, FeedProvider } from './ports.ts';

/** the repos main.ts built once (createRepos), less those of the bot, the alerts, the paper exchange and the webhooks */
export type EngineRepos = Omit<Repos, 'botStore' | 'outbox' | 'paperStore' | 'webhooks'>;

export interface EngineContext {
  database: Database;
  repos: EngineRepos;
  clock: Clock;
  logger: EngineLogger;
  notifier: Notifier;
  exchanges: AccountExchanges;
  feeds: FeedProvider;
  /** per-position lock shared by the monitor, the controls and recovery (key: position id) */
  locks: KeyedLock;
  book: PositionBook;
  /** ms: when this engine started; an order still `pending` from before was sent by a stopped process */
  startedAt: number;
  /** balances for sizing, refreshed after each order of the account (balances.ts) */
  balances: import('./balances.ts').BalanceCache;
  /** the protective stops on the exchange (SPEC §10); set by createEngine */
  backstops?: import('./backstop.ts').Backstops;
  /** whether the database answers; exit-path database calls run through it (SPEC §10) */
  health: import('./db-health.ts').DatabaseHealth;
  /** the local write-ahead journal of exits sent while the database is down */
  journal: import('./exit-journal.ts').ExitJournal;
  /** each account's label for the alerts, kept in memory (account-label.ts) */
  labels: import('./account-label.ts').AccountLabels;
  /** protections found active at the latest entry decision of each account (SPEC §9 protections; /status) */
  protectionLocks?: import('./protection-state.ts').ProtectionState;
  /** the traders this process acts for (SPEC §12): every one with one process, its leased shards with several */
  ownership: import('./shard-leases.ts').ShardOwnership;
  /** emits without ever throwing: a notifier failure must not undo a trade */
  emit(event: import('./events.ts').EngineEvent, dedupeKey?: string): Promise<void>;
}
