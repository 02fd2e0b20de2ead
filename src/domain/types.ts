/**
 * Core types of the trading domain (SPEC §3–§6). Pure data: no I/O, no clock.
 * Prices are quote-currency units per base unit, quantities base units, times ms since epoch.
 */

export type Side = 'long' | 'short';
export type Mode = 'spot' | 'margin' | 'futures';
export type SignalAction = 'BUY' | 'SELL' | 'HOLD';

/** Errors-as-values for expected failures (bad settings, bad CSV row, refused trade). */
export type Result<T, E = string[]> = { ok: true; value: T } | { ok: false; error: E };

/** One OHLCV candle; `time` is the candle's open time in ms. */
export interface Candle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * A price observation. `continuous` = the market traded through every price between the
 * previous tick and this one (backtest candle paths); live ticks are not continuous.
 */
export interface Tick {
  /** ms since epoch */
  time: number;
  price: number;
  continuous: boolean;
}

export type ExitReason =
  | 'stop_loss'
  | 'take_profit'
  | 'trailing_stop'
  | 'partial_tp'
  | 'time_exit'
  | 'liquidation_protection'
  | 'manual'
  /** an opposite signal closed it (SPEC §3 rule 7) */
  | 'signal_reverse'
  | 'end_of_data';

/**
 * State of one open position as the monitor sees it (SPEC §6). A value: a change is a new
 * state (cloneState()), so that whoever holds the old one (the monitor's index of wake prices,
 * engine/position-book.ts) sees the change when the new one is put in its place.
 */
export interface PositionState {
  side: Side;
  /** average entry price */
  entry: number;
  /** quantity at open, base units */
  qtyInitial: number;
  /** remaining quantity, base units; invariant 0 ≤ qty ≤ qtyInitial */
  qty: number;
  /** price; null = no stop loss */
  stopLoss: number | null;
  /** price; null = no take profit */
  takeProfit: number | null;
  trailingActive: boolean;
  /** best price since trailing activation (max for long, min for short); null before activation */
  peak: number | null;
  /** price; never loosens once set (long: only rises, short: only falls) */
  trailingStop: number | null;
  /** one flag per partial take-profit level, in level order */
  partialTaken: boolean[];
  /** ms since epoch */
  openedAt: number;
  /** 1 for spot */
  leverage: number;
  mode: Mode;
  /** price as the exchange reports it; null/undefined → estimated from leverage (margin/futures only) */
  liquidationPrice?: number | null;
  /**
   * start of the next continuous move: the price of the last tick evaluate() saw (the live
   * monitor evaluates only the ticks that cross a wake price; its ticks are not continuous);
   * null = unknown
   */
  lastPrice: number | null;
  /** a liquidation warning was acted on in the current episode (re-armed above the warn distance) */
  liquidationWarned: boolean;
  /** ms since epoch when the current stop-loss breach started (SL timeout option); null = no breach */
  slBreachSince: number | null;
  /** trailing take profit: best price since the take profit was reached; null = not armed */
  tpTrailPeak: number | null;
  /** once true, evaluate() returns no further action */
  closed: boolean;
}

/** A partial take-profit level: at `targetPct` % profit sell `fraction` of the REMAINING quantity. */
export interface PartialTpLevel {
  /** percent, 1 = 1 % */
  targetPct: number;
  /** fraction of the remaining quantity, 0 < fraction ≤ 1 */
  fraction: number;
}

/** Settings the monitor rules read (derived from TradingSettings by toMonitorSettings). */
export interface MonitorSettings {
  trailingEnabled: boolean;
  /** percent profit that activates trailing */
  trailingActivationPct: number;
  /** percent distance of the trailing stop from the peak */
  trailingDistancePct: number;
  partialTpEnabled: boolean;
  /** ascending by targetPct */
  partialTpLevels: readonly PartialTpLevel[];
  /** ms; 0 = no time exit */
  maxHoldMs: number;
  /** percent distance to liquidation that triggers a warning + reduce */
  liquidationWarnPct: number;
  /** percent distance to liquidation that closes everything */
  liquidationClosePct: number;
  /** fraction of the remaining quantity sold at a liquidation warning, 0 = alert only */
  liquidationReduceFraction: number;
  /** maintenance margin rate used to estimate a liquidation price, 0.005 = 0.5 % */
  maintenanceMarginRate: number;
  /** option: move the stop loss to entry after the first partial take profit */
  breakevenAfterFirstPartial: boolean;
  /** option: ms a stop-loss breach must last before it closes; 0 = close at once */
  slTimeoutMs: number;
  /** option: when the take profit is reached, trail instead of closing */
  trailingTpEnabled: boolean;
  /** percent retracement from the best price after TP that closes the position */
  trailingTpDeviationPct: number;
  /**
   * the position's own partial levels as prices (quote per base) from its signal's targets
   * (SPEC §9); partialTpLevels holds them as percent of the entry. Absent: the trader's levels.
   */
  targetPrices?: ReadonlyArray<{ price: number; fraction: number }>;
}

export type ReevaluationField = 'stop_loss' | 'take_profit' | 'trailing_stop';

export type ReevaluationReason =
  | 'trailing_activated'
  | 'trailing_peak'
  | 'breakeven_after_partial'
  | 'manual_stop_loss'
  | 'manual_take_profit'
  | 'manual_breakeven';

export type AlertEvent =
  | 'liquidation_warning'
  | 'liquidation_critical'
  | 'trailing_activated'
  | 'stop_loss_breach_pending'
  | 'trailing_tp_armed';

export type MonitorAction =
  | {
      type: 'close_all';
      reason: ExitReason;
      /** fill price */
      price: number;
      qty: number;
      time: number;
    }
  | {
      type: 'partial';
      reason: 'partial_tp';
      /** index into partialTpLevels */
      level: number;
      targetPct: number;
      fraction: number;
      qty: number;
      /** fill price */
      price: number;
      time: number;
    }
  | {
      /** sell part of the position (liquidation warning or manual partial close) */
      type: 'reduce';
      reason: 'liquidation_protection' | 'manual';
      fraction: number;
      qty: number;
      /** fill price */
      price: number;
      time: number;
    }
  | {
      type: 'alert';
      event: AlertEvent;
      severity: 'info' | 'warning' | 'critical';
      price: number;
      time: number;
      /** percent distance to liquidation, for liquidation events */
      distancePct?: number;
    }
  | {
      /** every SL/TP/trailing-stop change → one position_reevaluations row */
      type: 'reevaluation';
      field: ReevaluationField;
      old: number | null;
      new: number | null;
      reason: ReevaluationReason;
      time: number;
    };

export interface MonitorResult {
  next: PositionState;
  /** what to carry out, in order (empty: nothing) */
  actions: readonly MonitorAction[];
}
