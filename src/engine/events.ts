/**
 * Everything the engine tells a trader. The engine emits events through a Notifier; the Telegram
 * layer turns them into messages (via the durable alert outbox). Prices are quote per base,
 * pnl in quote units net of fees, pct as percent (1.5 = 1.5 %).
 */

interface PositionRef extends PositionDetails {
  userId: string;
  positionId: string;
  symbol: string;
  side: 'long' | 'short';
  exchange: string;
  isPaper: boolean;
}

/** Shown with a position's events where known (older stored alerts lack them). */
export interface PositionDetails {
  /** the trader's own trade number */
  number?: number;
  /** the account's one name ("Binance futures ·1234") */
  accountLabel?: string;
  /** the market's amount step (base units) and price tick: what amounts and prices round to */
  amountStep?: number;
  priceTick?: number;
}

/** The exits the monitor follows for a new position, as prices (position_opened). */
export interface EntryPlanView {
  /** partial take profits: at `price` (`targetPct` % profit) sell `fraction` of what remains */
  partials: Array<{ price: number; targetPct: number; fraction: number }>;
  /** price at which the trailing stop starts; null = trailing off */
  trailingActivation: number | null;
  trailingActivationPct: number | null;
  trailingDistancePct: number | null;
  /** hours after which the time exit closes it; null = none */
  maxHoldHours: number | null;
  leverage: number;
  mode: 'spot' | 'margin' | 'futures';
}

export type ExitEventKind = 'stop_loss' | 'take_profit' | 'trailing_stop' | 'partial_tp' | 'time_exit' | 'liquidation_protection' | 'manual' | 'signal_reverse' | 'exchange_stop';

export type EngineEvent =
  | (PositionRef & {
      kind: 'position_opened';
      entryPrice: number;
      qty: number;
      stopLoss: number | null;
      takeProfit: number | null;
      signalId: string | null;
      plan?: EntryPlanView;
      /** the signal's source (titan_v3, webhook …) and confidence (0..1) */
      source?: string;
      confidence?: number | null;
      /** Herfindahl index of the trader's holdings after this entry, when it reached the warning level (SPEC §5) */
      concentration?: number;
    })
  | (PositionRef & {
      kind: ExitEventKind;
      price: number;
      qty: number;
      /** remaining after this exit (0 = position closed) */
      remainingQty: number;
      pnl: number;
      /** pnl (net of fees) as a percent of this exit's quantity at the entry price */
      pct: number;
      /** partial_tp: which level, 0-based */
      level?: number;
      /** ms from the position's opening to this exit */
      durationMs?: number;
      /** base units left on the account below the market's minimum (never sold, never retried) */
      dust?: number;
    })
  | (PositionRef & { kind: 'liquidation_warning'; price: number; liquidationPrice: number; distancePct: number; reducedQty: number })
  | (PositionRef & { kind: 'stop_moved'; oldStop: number | null; newStop: number; reason: string })
  | (PositionRef & { kind: 'take_profit_moved'; oldTakeProfit: number | null; newTakeProfit: number; reason: string })
  | { kind: 'signal_rejected'; userId: string; signalId: string; symbol: string; action: string; reasons: string[] }
  | { kind: 'order_failed'; userId: string; symbol: string; message: string; positionId?: string }
  /**
   * a price feed the trader's positions read from is down for over a minute (live: false), or back
   * (live: true, after downMs); the bot's own exits cannot fire on `symbols` meanwhile
   */
  | { kind: 'prices_stale'; userId: string; feed: string; symbols: string[]; since: number; downMs: number; live: boolean }
  /** needs the trader: revoked key, insufficient funds on a protective close, position unknown to us on the exchange … */
  | { kind: 'action_needed'; userId: string; message: string; accountId?: string; positionId?: string };

export type EngineEventKind = EngineEvent['kind'];

export interface Notifier {
  /**
   * Durable: resolves once the event is stored for delivery (alert outbox), not when it is sent.
   * `dedupeKey` makes a replayed event (after a crash) queue once.
   */
  notify(event: EngineEvent, dedupeKey?: string): Promise<void>;
  /**
   * Sends at once, without the database (its outbox may be what is down): for the one message
   * that must get out during a database outage. Best effort; absent where it cannot be done.
   */
  notifyNow?(event: EngineEvent): Promise<void>;
  /** learns these traders' chats now, so notifyNow reaches them while the database is down */
  remember?(userIds: readonly string[]): Promise<void>;
}
