import type {
  ExitReason,
  MonitorAction,
  MonitorResult,
  MonitorSettings,
  PositionState,
  Tick,
} from '../types.ts';
import { applyLiquidationWarning, detectLiquidation, rearmLiquidation } from './liquidation.ts';
import { applyPartial, detectPartials } from './partial-tp.ts';
import { cloneState, closeAll } from './state.ts';
import { detectStopLoss } from './stop-loss.ts';
import { armTrailingTp, detectTakeProfit, updateTrailingTpPeak } from './take-profit.ts';
import { detectTimeExit } from './time-exit.ts';
import { detectTrailingStop, updateTrailing } from './trailing.ts';
import { byPathThenRule, type TickContext, type Trigger } from './trigger.ts';

/**
 * The position monitor, SPEC §6: one tick in, the next state and the actions to carry out.
 * Pure: the input state is never changed; the next state is a new object whose lastPrice is the
 * tick's price. A closed position, or a broken price (NaN, ±∞, 0, negative: a feed fault),
 * yields no action and the same state.
 *
 * Order: trailing activation / peak (and the trailing-TP peak) are updated at the tick first;
 * then every rule that fires is collected (1 stop loss, 2 take profit, 3 trailing stop,
 * 4 partial levels, 5 time exit, 6 liquidation) and acted on in the order the price reaches
 * them on a continuous move (ties and non-continuous ticks: rule order). The first close-all
 * ends the tick.
 *
 * Which ticks can do anything at all is wake.ts wakePrices(): the monitor's index asks it so
 * that a tick reaches only the positions it may act on.
 */
export function evaluate(state: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult {
  const p = tick.price;
  if (state.closed || !(p > 0) || !Number.isFinite(p)) return { next: state, actions: [] };
  const continuous = tick.continuous && state.lastPrice !== null;
  const ctx: TickContext = {
    prev: continuous ? (state.lastPrice as number) : p,
    p,
    time: tick.time,
    continuous,
    settings,
  };
  const s = cloneState(state, p);
  const actions: MonitorAction[] = [];

  updateTrailing(s, ctx, actions);
  updateTrailingTpPeak(s, p);

  const triggers: Trigger[] = [];
  const sl = detectStopLoss(s, ctx, actions);
  if (sl !== null) triggers.push(sl);
  const tp = detectTakeProfit(s, ctx);
  if (tp !== null) triggers.push(tp);
  const ts = detectTrailingStop(s, ctx);
  if (ts !== null) triggers.push(ts);
  detectPartials(s, ctx, triggers);
  const te = detectTimeExit(s, ctx);
  if (te !== null) triggers.push(te);
  detectLiquidation(s, ctx, triggers);

  if (triggers.length > 1) triggers.sort(byPathThenRule);
  for (const t of triggers) {
    act(s, t, ctx, actions);
    if (s.closed) break;
  }
  if (!s.closed) rearmLiquidation(s, ctx);
  return { next: s, actions };
}

const CLOSE_REASON: Partial<Record<Trigger['kind'], ExitReason>> = {
  stop_loss: 'stop_loss',
  take_profit: 'take_profit',
  trailing_tp: 'take_profit',
  trailing_stop: 'trailing_stop',
  time_exit: 'time_exit',
  liq_close: 'liquidation_protection',
};

function act(s: PositionState, t: Trigger, ctx: TickContext, actions: MonitorAction[]): void {
  switch (t.kind) {
    case 'partial':
      applyPartial(s, t, ctx, actions);
      return;
    case 'liq_warn':
      applyLiquidationWarning(s, t, ctx, actions);
      return;
    case 'take_profit':
      if (ctx.settings.trailingTpEnabled) {
        armTrailingTp(s, ctx, actions);
        return;
      }
      break;
    case 'liq_close':
      actions.push({
        type: 'alert',
        event: 'liquidation_critical',
        severity: 'critical',
        price: t.fill,
        time: ctx.time,
      });
      break;
    default:
      break;
  }
  const reason = CLOSE_REASON[t.kind];
  if (reason !== undefined) closeAll(s, reason, t.fill, ctx.time, actions);
}
