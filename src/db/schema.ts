/**
 * The one database schema (SPEC §2). Money and quantities are `numeric` (they come back as
 * strings; repos convert at the boundary). Times are `timestamptz`.
 */

import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const money = (name: string) => numeric(name, { precision: 38, scale: 18 });

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  telegramId: bigint('telegram_id', { mode: 'number' }).notNull().unique(),
  chatId: bigint('chat_id', { mode: 'number' }).notNull(),
  username: text('username'),
  firstName: text('first_name'),
  email: text('email'),
  /** no new entries while paused; open positions stay protected */
  paused: boolean('paused').notNull().default(false),
  /** paused by an administrator: only an administrator resumes it (the trader's /resume does not) */
  pausedByAdmin: boolean('paused_by_admin').notNull().default(false),
  /** per-event notification level: { [eventKind]: 'on' | 'silent' | 'off' } */
  notifyPrefs: jsonb('notify_prefs').$type<Record<string, 'on' | 'silent' | 'off'>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** An exchange account of a user: real keys (encrypted) or a paper account (no keys). */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    exchange: varchar('exchange', { length: 32 }).notNull(),
    /** spot | margin | futures */
    mode: varchar('mode', { length: 16 }).notNull(),
    label: text('label'),
    isPaper: boolean('is_paper').notNull().default(false),
    /** id of the SECRET_KEY-derived key that encrypted the three fields below */
    keyId: varchar('key_id', { length: 32 }),
    apiKeyEnc: text('api_key_enc'),
    apiSecretEnc: text('api_secret_enc'),
    passphraseEnc: text('passphrase_enc'),
    /** last four characters of the api key, for display only */
    apiKeyHint: varchar('api_key_hint', { length: 8 }),
    /** keyed hash of the api key (SecretBox.fingerprint, under the current key): finds a key already connected; null until computed */
    apiKeyFp: varchar('api_key_fp', { length: 64 }),
    /** cross | isolated for margin and futures accounts (SPEC §11); null on spot */
    marginMode: varchar('margin_mode', { length: 16 }),
    /** the account trades signals (/accounts toggles it); a disabled account keeps its positions monitored */
    enabled: boolean('enabled').notNull().default(true),
    /** false once removed (soft delete: positions and trades keep their reference) */
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('api_keys_user_idx').on(t.userId), index('api_keys_exchange_fp_idx').on(t.exchange, t.apiKeyFp)],
);

/** The seed's trading_settings columns plus SPEC §8's additions. Percent columns: 2 = 2 %. */
export const tradingSettings = pgTable('trading_settings', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  riskLevel: integer('risk_level').notNull().default(5),
  riskPerTrade: numeric('risk_per_trade').notNull().default('2'),
  maxPosition: money('max_position').notNull().default('1000'),
  stopLossPct: numeric('stop_loss_pct').notNull().default('2'),
  takeProfitPct: numeric('take_profit_pct').notNull().default('10'),
  leverage: integer('leverage').notNull().default(1),
  trailingEnabled: boolean('trailing_enabled').notNull().default(true),
  partialTpEnabled: boolean('partial_tp_enabled').notNull().default(true),
  maxPositions: integer('max_positions').notNull().default(5),
  mode: varchar('mode', { length: 16 }).notNull().default('spot'),
  trailingActivationPct: numeric('trailing_activation_pct').notNull().default('0.5'),
  trailingDistancePct: numeric('trailing_distance_pct').notNull().default('1'),
  /** [[target_pct, fraction_of_remaining], …] */
  partialTpLevels: jsonb('partial_tp_levels')
    .$type<Array<[number, number]>>()
    .notNull()
    .default([
      [1, 0.25],
      [2, 0.5],
      [3, 0.75],
    ]),
  maxHoldHours: numeric('max_hold_hours').notNull().default('12'),
  dailyTradeLimit: integer('daily_trade_limit').notNull().default(15),
  hourlyTradeLimit: integer('hourly_trade_limit').notNull().default(5),
  /** further options (breakeven after partial, SL timeout, trailing TP, alerts for rejections …) */
  extra: jsonb('extra').$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: updatedAt(),
});

/** Written by external producers (titan_v3, COUNCIL); columns exactly as the seed's §5.1. */
export const tradingSignals = pgTable(
  'trading_signals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    symbol: varchar('symbol').notNull(),
    action: varchar('action').notNull(),
    confidence: doublePrecision('confidence'),
    source: varchar('source').notNull(),
    reasoning: text('reasoning'),
    userId: uuid('user_id'),
    stopLoss: doublePrecision('stop_loss'),
    takeProfit: doublePrecision('take_profit'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('trading_signals_created_idx').on(t.createdAt), index('trading_signals_symbol_idx').on(t.symbol, t.createdAt)],
);

/**
 * Which user executed (or rejected) which signal on which account: unique, so a signal runs once
 * per account (SPEC §11); account_id is null only for a refusal before any account was chosen.
 */
export const signalExecutions = pgTable(
  'signal_executions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    signalId: uuid('signal_id')
      .notNull()
      .references(() => tradingSignals.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    /** claimed | executed | rejected | failed */
    status: varchar('status', { length: 16 }).notNull(),
    reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
    positionId: uuid('position_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('signal_executions_user_signal_account_uq').on(t.userId, t.signalId, t.accountId).nullsNotDistinct(),
    index('signal_executions_user_idx').on(t.userId, t.createdAt),
  ],
);

/** The seed's monitored_positions: the monitor's full state, flushed every 5 s and on exits. */
export const positions = pgTable(
  'positions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    signalId: uuid('signal_id'),
    /** the trader's own trade number (1, 2, 3 … per user), shown as "#3" in /positions and the alerts */
    number: integer('number'),
    exchange: varchar('exchange', { length: 32 }).notNull(),
    symbol: varchar('symbol').notNull(),
    /** long | short */
    side: varchar('side', { length: 8 }).notNull(),
    mode: varchar('mode', { length: 16 }).notNull(),
    leverage: numeric('leverage').notNull().default('1'),
    entryPrice: money('entry_price').notNull(),
    qtyInitial: money('qty_initial').notNull(),
    qty: money('qty').notNull(),
    stopLoss: money('stop_loss'),
    takeProfit: money('take_profit'),
    trailingActive: boolean('trailing_active').notNull().default(false),
    peak: money('peak'),
    trailingStop: money('trailing_stop'),
    partialTaken: jsonb('partial_taken').$type<boolean[]>().notNull().default([false, false, false]),
    liquidationPrice: money('liquidation_price'),
    /** the rest of the monitor's state (liquidation episode, SL-timeout clock, …) */
    monitorState: jsonb('monitor_state').$type<Record<string, unknown>>().notNull().default({}),
    /** monitor settings snapshot taken at open (changed only when the trader says so) */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /**
     * the protective stop on the exchange (SPEC §10): client id, exchange order id, stop price,
     * quantity, last move time, or why it is missing; null before the first placement
     */
    backstop: jsonb('backstop').$type<Record<string, unknown>>(),
    /** pending (entry not yet confirmed) | open | closing | closed */
    status: varchar('status', { length: 16 }).notNull().default('open'),
    closeReason: varchar('close_reason', { length: 32 }),
    realizedPnl: money('realized_pnl').notNull().default('0'),
    feesPaid: money('fees_paid').notNull().default('0'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('positions_status_symbol_idx').on(t.status, t.exchange, t.symbol),
    index('positions_user_status_idx').on(t.userId, t.status),
    index('positions_account_idx').on(t.accountId, t.status),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    positionId: uuid('position_id'),
    signalId: uuid('signal_id'),
    /** ours, sent to the exchange; the key that makes a retry find the order instead of duplicating it */
    clientOrderId: varchar('client_order_id', { length: 64 }).notNull(),
    exchangeOrderId: text('exchange_order_id'),
    symbol: varchar('symbol').notNull(),
    /** buy | sell */
    side: varchar('side', { length: 8 }).notNull(),
    type: varchar('type', { length: 16 }).notNull(),
    /** entry | partial_tp | close | reduce */
    purpose: varchar('purpose', { length: 24 }).notNull(),
    qty: money('qty').notNull(),
    price: money('price'),
    filledQty: money('filled_qty').notNull().default('0'),
    avgPrice: money('avg_price'),
    fee: money('fee').notNull().default('0'),
    feeCurrency: varchar('fee_currency', { length: 16 }),
    reduceOnly: boolean('reduce_only').notNull().default(false),
    /** pending | open | filled | canceled | rejected | unknown */
    status: varchar('status', { length: 16 }).notNull(),
    error: text('error'),
    /**
     * the latest moment our request for this order could have left us: the call's start while
     * pending, its end once the answer was lost; the exchange has certainly seen the order, or
     * certainly not, a horizon after it (ExchangePort.orderHorizonMs)
     */
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('orders_client_order_id_uq').on(t.accountId, t.clientOrderId),
    index('orders_status_idx').on(t.status),
    index('orders_position_idx').on(t.positionId),
  ],
);

/** One row per exit (partial or full), the seed's trades table. */
export const trades = pgTable(
  'trades',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id'),
    positionId: uuid('position_id'),
    symbol: varchar('symbol').notNull(),
    /** long | short */
    side: varchar('side').notNull(),
    quantity: money('quantity').notNull(),
    entryPrice: money('entry_price').notNull(),
    exitPrice: money('exit_price'),
    stopLoss: money('stop_loss'),
    takeProfit: money('take_profit'),
    /** net of fees, quote currency */
    pnl: money('pnl'),
    fee: money('fee').notNull().default('0'),
    /** base units left on the account below the market's minimum after this exit (spot), never sold */
    dust: money('dust').notNull().default('0'),
    closeReason: varchar('close_reason'),
    /** position_monitor | manual | reconcile */
    source: varchar('source'),
    createdAt: createdAt(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('trades_user_closed_idx').on(t.userId, t.closedAt)],
);

export const positionReevaluations = pgTable(
  'position_reevaluations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    positionId: uuid('position_id')
      .notNull()
      .references(() => positions.id, { onDelete: 'cascade' }),
    reevaluationType: varchar('reevaluation_type', { length: 32 }).notNull(),
    oldSl: money('old_sl'),
    newSl: money('new_sl'),
    oldTp: money('old_tp'),
    newTp: money('new_tp'),
    oldTrailing: money('old_trailing'),
    newTrailing: money('new_trailing'),
    reason: text('reason'),
    actionTaken: text('action_taken'),
    createdAt: createdAt(),
  },
  (t) => [index('position_reevaluations_position_idx').on(t.positionId)],
);

/** Alerts go through here so an outage or a restart delays them but never drops them. */
export const alertOutbox = pgTable(
  'alert_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id'),
    chatId: bigint('chat_id', { mode: 'number' }).notNull(),
    kind: varchar('kind', { length: 32 }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** an event emitted twice (e.g. replayed after a crash) is queued once */
    dedupeKey: text('dedupe_key'),
    silent: boolean('silent').notNull().default(false),
    /** pending | sent | dead */
    status: varchar('status', { length: 16 }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    telegramMessageId: bigint('telegram_message_id', { mode: 'number' }),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('alert_outbox_dedupe_uq').on(t.dedupeKey), index('alert_outbox_pending_idx').on(t.status, t.nextAttemptAt)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorTelegramId: bigint('actor_telegram_id', { mode: 'number' }),
    actorUserId: uuid('actor_user_id'),
    action: varchar('action', { length: 64 }).notNull(),
    target: text('target'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt)],
);

/** grammY sessions and conversations (key → JSON value). */
export const botStorage = pgTable('bot_storage', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: updatedAt(),
});

/** Process-wide switches and markers (global pause, last cycle). */
export const systemState = pgTable('system_state', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: updatedAt(),
});

/** Paper exchange: virtual wallets, positions and orders per paper account. */
export const paperBalances = pgTable(
  'paper_balances',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    currency: varchar('currency', { length: 16 }).notNull(),
    total: money('total').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.currency] })],
);

export const paperPositions = pgTable(
  'paper_positions',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    symbol: varchar('symbol').notNull(),
    /** long | short */
    side: varchar('side', { length: 8 }).notNull(),
    qty: money('qty').notNull(),
    entryPrice: money('entry_price').notNull(),
    leverage: numeric('leverage').notNull().default('1'),
    /** quote currency locked as margin */
    margin: money('margin').notNull().default('0'),
    liquidationPrice: money('liquidation_price'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.symbol] })],
);

export const paperOrders = pgTable(
  'paper_orders',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    clientOrderId: varchar('client_order_id', { length: 64 }).notNull(),
    orderId: varchar('order_id', { length: 64 }).notNull(),
    symbol: varchar('symbol').notNull(),
    side: varchar('side', { length: 8 }).notNull(),
    type: varchar('type', { length: 16 }).notNull(),
    qty: money('qty').notNull(),
    price: money('price'),
    avgPrice: money('avg_price'),
    filledQty: money('filled_qty').notNull().default('0'),
    fee: money('fee').notNull().default('0'),
    reduceOnly: boolean('reduce_only').notNull().default(false),
    status: varchar('status', { length: 16 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.clientOrderId] })],
);

/** A position's back-off after refused exit orders: survives restarts so alerts are not repeated. */
export const exitBackoffs = pgTable('exit_backoffs', {
  positionId: uuid('position_id')
    .primaryKey()
    .references(() => positions.id, { onDelete: 'cascade' }),
  until: timestamp('until', { withTimezone: true }).notNull(),
  /** ms; doubles per refusal up to the runner's cap */
  delayMs: integer('delay_ms').notNull(),
  /** the last refusal's trader-facing message */
  lastError: text('last_error'),
});

/**
 * A trader's webhook (SPEC §9): the hook id is a bearer secret, so only its SHA-256 (for lookup)
 * and its AES-256-GCM ciphertext under SECRET_KEY (to show it again in /webhook) are stored.
 */
export const webhookHooks = pgTable('webhook_hooks', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** hex SHA-256 of the hook id */
  hookHash: varchar('hook_hash', { length: 64 }).notNull().unique(),
  /** id of the SECRET_KEY-derived key that sealed hook_enc */
  keyId: varchar('key_id', { length: 32 }).notNull(),
  hookEnc: text('hook_enc').notNull(),
  createdAt: createdAt(),
  /** when the trader last replaced it (/webhook rotate) */
  rotatedAt: timestamp('rotated_at', { withTimezone: true }),
});

/**
 * Every input a trader brought (SPEC §9, issue 14 item 7): the stored signal it became, with what
 * its row cannot hold (the targets, the sender's time and price), or why it was refused.
 */
export const signalInputs = pgTable(
  'signal_inputs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** webhook | telegram (a forwarded or pasted post) | manual (/signal) */
    source: varchar('source', { length: 32 }).notNull(),
    /** the stored trading_signals row; null when the input was refused */
    signalId: uuid('signal_id').references(() => tradingSignals.id, { onDelete: 'cascade' }),
    /** stored | refused | closed | preview (waiting for Trade / Ignore) | ignored | expired */
    status: varchar('status', { length: 16 }).notNull(),
    /** why it was refused (trader-facing) */
    reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
    /** what the input said that a signal row cannot hold: targets, the sender's time and price, its format */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    /** hex SHA-256 of what the signal says (symbol, action, levels, confidence): duplicates within 60 s are stored once */
    fingerprint: varchar('fingerprint', { length: 64 }),
    createdAt: createdAt(),
  },
  (t) => [index('signal_inputs_user_idx').on(t.userId, t.createdAt), index('signal_inputs_signal_idx').on(t.signalId)],
);

/**
 * Several processes on one PostgreSQL (SPEC §12): traders are spread over SHARD_COUNT shards (a
 * trader's shard comes from their id, domain/shards.ts), each leased by one process. The epoch
 * rises each time a shard changes hands (its lease expired or was released): an order intent is
 * written only under the writer's lease at its epoch, so a process that lost the shard writes
 * nothing. Times are the database's (now()), never a process's clock.
 */
export const shardLeases = pgTable('shard_leases', {
  shard: integer('shard').primaryKey(),
  /** processes.id of the holder; null: free (released or never taken) */
  owner: text('owner'),
  epoch: bigint('epoch', { mode: 'number' }).notNull().default(0),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The processes running the engine on this database, with their last heartbeat (/status). */
export const processes = pgTable('processes', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  /** shards held at the last heartbeat */
  shards: jsonb('shards').$type<number[]>().notNull().default([]),
  /**
   * no other live process at the last heartbeat: this process keeps acting through a database
   * outage (SPEC §10), so its shards are taken only once it is gone (db/repos/shard-leases.ts)
   */
  alone: boolean('alone').notNull().default(false),
});

/**
 * A trader's action asked in one process for a trader another process owns (SPEC §12): the
 * Telegram handler writes the row and NOTIFYs COMMAND_CHANNEL; the owner runs it and writes the
 * result; the asking process answers the trader from it.
 */
export const engineCommands = pgTable(
  'engine_commands',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    /** the facade method, like closePosition */
    kind: varchar('kind', { length: 48 }).notNull(),
    args: jsonb('args').$type<unknown[]>().notNull(),
    /** queued | running | done | failed */
    status: varchar('status', { length: 16 }).notNull().default('queued'),
    result: jsonb('result'),
    error: text('error'),
    /** processes.id of the asker and of the runner */
    askedBy: text('asked_by').notNull(),
    runBy: text('run_by'),
    createdAt: createdAt(),
    doneAt: timestamp('done_at', { withTimezone: true }),
  },
  (t) => [index('engine_commands_status_idx').on(t.status, t.createdAt)],
);

export const schema = {
  users,
  apiKeys,
  tradingSettings,
  tradingSignals,
  signalExecutions,
  positions,
  orders,
  trades,
  positionReevaluations,
  alertOutbox,
  auditLog,
  botStorage,
  systemState,
  paperBalances,
  paperPositions,
  paperOrders,
  exitBackoffs,
  webhookHooks,
  signalInputs,
  shardLeases,
  processes,
  engineCommands,
};

export const SIGNAL_CHANNEL = 'trading_signals_insert';
/** SPEC §12: a trader's action for the process that owns the trader (payload: the command's id) */
export const COMMAND_CHANNEL = 'engine_commands';
/** SPEC §12: a command's result is written (payload: the command's id) */
export const COMMAND_DONE_CHANNEL = 'engine_commands_done';
/** SPEC §12: shards were handed back (a clean stop): the others claim them at once */
export const LEASES_CHANNEL = 'shard_leases_released';

