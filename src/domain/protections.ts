/**
 * Protections (SPEC §3 "when not to take a signal", as Freqtrade's traders know them): facts about
 * recent exits decide whether a new entry may open. Pure: the same trades, equity and time give
 * the same answer, live and in backtests.
 *
 *  - Stop-loss guard (Freqtrade StoplossGuard): `trades` stop losses closed within `windowMinutes`
 *    → no new entries for `cooldownMinutes` after the last of them, on every pair, or only on that
 *    pair when `perPair`. A stop loss is an exit by the bot's stop, the exchange's stop, or a
 *    trailing stop that lost money.
 *  - Max drawdown (Freqtrade MaxDrawdown): the equity curve made by the exits closed within
 *    `windowHours` fell `maxDrawdownPct` % or more below its peak → no new entries for
 *    `cooldownHours` after the exit that made the deepest point.
 *  - Cooldown after an exit (Freqtrade CooldownPeriod): no new entry on a pair for
 *    `cooldownMinutes` after a position of that pair closed (a close by an opposite signal is part
 *    of the reversal and does not count; nor do partial take profits).
 *
 * A protection's lock runs from its trigger (an exit's time) to `until`; it is active while
 * `now < until`. Repeating the check later with the same trades never moves `until`.
 */
export interface ExitFact {
  /** market symbol as traded ("BTC/USDT", "BTC/USDT:USDT"); pairs compare by base/quote */
  symbol: string;
  /** ms since epoch */
  closedAt: number;
  /** quote units, net of fees */
  pnl: number;
  /** exit reason: stop_loss, exchange_stop, trailing_stop, take_profit, partial_tp, signal_reverse, … */
  reason: string;
}

export interface ProtectionSettings {
  stoplossGuard: { enabled: boolean; trades: number; windowMinutes: number; cooldownMinutes: number; perPair: boolean };
  maxDrawdown: { enabled: boolean; maxDrawdownPct: number; windowHours: number; cooldownHours: number };
  cooldown: { enabled: boolean; cooldownMinutes: number };
}

export type ProtectionName = 'stoploss_guard' | 'max_drawdown' | 'cooldown';

export interface ProtectionLock {
  protection: ProtectionName;
  /** 'all' = every pair of the account; else the pair (base/quote) */
  scope: 'all' | string;
  /** ms since epoch the lock began (the triggering exit) */
  from: number;
  /** ms since epoch; entries are refused while now < until */
  until: number;
  /** one line for /signals and /status, naming the protection and until when */
  reason: string;
  /** the numbers that tripped it ("3 stop losses within 60 min (the last at …)"), for /status */
  detail: string;
}

const MIN = 60_000;
const HOUR = 3_600_000;

/** "BTC/USDT:USDT" → "BTC/USDT" */
export function pairOf(symbol: string): string {
  return symbol.split(':')[0]?.toUpperCase() ?? symbol.toUpperCase();
}

export function fmtUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function isStopLoss(e: ExitFact): boolean {
  return e.reason === 'stop_loss' || e.reason === 'exchange_stop' || (e.reason === 'trailing_stop' && e.pnl < 0);
}

/**
 * The latest lock from N stop losses within the window: for each stop loss (oldest first) the
 * ones in (t − window, t] are counted; when they reach N the lock runs from t for the cooldown.
 */
export function stoplossGuardLock(exits: readonly ExitFact[], s: ProtectionSettings['stoplossGuard'], pair: string | null): ProtectionLock | null {
  if (!s.enabled || s.trades < 1) return null;
  const stops = exits.filter((e) => isStopLoss(e) && (pair === null || pairOf(e.symbol) === pair)).sort((a, b) => a.closedAt - b.closedAt);
  const windowMs = s.windowMinutes * MIN;
  let trigger: number | null = null;
  let lo = 0;
  for (let i = 0; i < stops.length; i++) {
    const t = (stops[i] as ExitFact).closedAt;
    while ((stops[lo] as ExitFact).closedAt <= t - windowMs) lo++;
    if (i - lo + 1 >= s.trades) trigger = t;
  }
  if (trigger === null) return null;
  const until = trigger + s.cooldownMinutes * MIN;
  const where = pair === null ? 'on any pair' : `on ${pair}`;
  const detail = `${s.trades} stop loss${s.trades === 1 ? '' : 'es'} within ${s.windowMinutes} min${pair === null ? '' : ` on ${pair}`} (the last at ${fmtUtc(trigger)})`;
  return { protection: 'stoploss_guard', scope: pair ?? 'all', from: trigger, until, detail, reason: `protection stop-loss guard: ${detail}; no new entries ${where} until ${fmtUtc(until)}` };
}

/**
 * Deepest fall of the equity curve made by the exits (oldest first) from `equityNow`: the curve
 * starts at equityNow − Σ pnl and adds each exit's P&L. Percent of the peak it fell from, and when.
 */
export function drawdownOf(exits: readonly ExitFact[], equityNow: number): { pct: number; at: number | null } {
  const sorted = [...exits].sort((a, b) => a.closedAt - b.closedAt);
  let equity = equityNow - sorted.reduce((s, e) => s + e.pnl, 0);
  let peak = equity;
  let worst = 0;
  let at: number | null = null;
  for (const e of sorted) {
    equity += e.pnl;
    if (equity > peak) peak = equity;
    const dd = peak > 0 ? ((peak - equity) / peak) * 100 : 0;
    if (dd > worst) {
      worst = dd;
      at = e.closedAt;
    }
  }
  return { pct: worst, at };
}

export function maxDrawdownLock(exits: readonly ExitFact[], s: ProtectionSettings['maxDrawdown'], equityNow: number, now: number): ProtectionLock | null {
  if (!s.enabled || !(s.maxDrawdownPct > 0) || !(equityNow > 0)) return null;
  const recent = exits.filter((e) => e.closedAt > now - s.windowHours * HOUR && e.closedAt <= now);
  const { pct, at } = drawdownOf(recent, equityNow);
  if (at === null || pct < s.maxDrawdownPct) return null;
  const until = at + s.cooldownHours * HOUR;
  const detail = `closed trades of the last ${s.windowHours} h fell ${pct.toFixed(2)} % from their peak (limit ${s.maxDrawdownPct} %, at ${fmtUtc(at)})`;
  return { protection: 'max_drawdown', scope: 'all', from: at, until, detail, reason: `protection max drawdown: ${detail}; no new entries until ${fmtUtc(until)}` };
}

export function cooldownLock(exits: readonly ExitFact[], s: ProtectionSettings['cooldown'], pair: string): ProtectionLock | null {
  if (!s.enabled || !(s.cooldownMinutes > 0)) return null;
  let last: number | null = null;
  for (const e of exits) {
    if (e.reason === 'signal_reverse' || e.reason === 'partial_tp' || pairOf(e.symbol) !== pair) continue;
    if (last === null || e.closedAt > last) last = e.closedAt;
  }
  if (last === null) return null;
  const until = last + s.cooldownMinutes * MIN;
  const detail = `a ${pair} position closed at ${fmtUtc(last)}`;
  return { protection: 'cooldown', scope: pair, from: last, until, detail, reason: `protection cooldown: ${detail}; no new ${pair} entry for ${s.cooldownMinutes} min, until ${fmtUtc(until)}` };
}

/** How far back the exits must reach for these settings to be judged (ms). */
export function protectionLookbackMs(s: ProtectionSettings): number {
  return Math.max(
    s.stoplossGuard.enabled ? (s.stoplossGuard.windowMinutes + s.stoplossGuard.cooldownMinutes) * MIN : 0,
    s.maxDrawdown.enabled ? Math.max(s.maxDrawdown.windowHours, s.maxDrawdown.cooldownHours) * HOUR : 0,
    s.cooldown.enabled ? s.cooldown.cooldownMinutes * MIN : 0,
  );
}

export interface ProtectionInput {
  now: number;
  /** the symbol the signal would open */
  symbol: string;
  /** the account's exits reaching back at least protectionLookbackMs */
  exits: readonly ExitFact[];
  /** the account's equity now, quote units (drawdown base) */
  equity: number;
  settings: ProtectionSettings;
}

/** Every lock active now for an entry on `symbol` (empty: the entry may open). */
export function activeProtections(input: ProtectionInput): ProtectionLock[] {
  return locksOnPair(accountProtections(input), input.symbol);
}

export interface AccountProtectionInput {
  now: number;
  /** the account's exits reaching back at least protectionLookbackMs */
  exits: readonly ExitFact[];
  /** the account's equity now, quote units (drawdown base; unused when the drawdown guard is off) */
  equity: number;
  settings: ProtectionSettings;
}

/**
 * Every lock active now on the account, whatever pair a signal would name (for /status): the
 * account-wide ones once, the per-pair ones for each pair the exits traded. An entry on a pair
 * is held by exactly the locks whose scope is 'all' or that pair (the same as activeProtections).
 */
export function accountProtections(input: AccountProtectionInput): ProtectionLock[] {
  const { now, settings: s } = input;
  const exits = input.exits.filter((e) => e.closedAt <= now);
  const pairs = [...new Set(exits.map((e) => pairOf(e.symbol)))].sort();
  const locks = [
    ...(s.stoplossGuard.perPair ? pairs.map((p) => stoplossGuardLock(exits, s.stoplossGuard, p)) : [stoplossGuardLock(exits, s.stoplossGuard, null)]),
    maxDrawdownLock(exits, s.maxDrawdown, input.equity, now),
    ...pairs.map((p) => cooldownLock(exits, s.cooldown, p)),
  ];
  return locks.filter((l): l is ProtectionLock => l !== null && now < l.until);
}

/** The locks of `all` that hold an entry on `symbol`. */
export function locksOnPair(all: readonly ProtectionLock[], symbol: string): ProtectionLock[] {
  const pair = pairOf(symbol);
  return all.filter((l) => l.scope === 'all' || l.scope === pair);
}
