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
import { classifyTick, QUIET, quietByMemo, quietResult, TRAILING_PEAK, trailingStopAlone } from './quiet.ts';
import { cloneState, closeAll } from './state.ts';
import { detectStopLoss } from './stop-loss.ts';
import { armTrailingTp, detectTakeProfit, updateTrailingTpPeak } from './take-profit.ts';
import { detectTimeExit } from './time-exit.ts';
import { detectTrailingStop, movePeak, updateTrailing } from './trailing.ts';
import { byPathThenRule, type TickContext, type Trigger } from './trigger.ts';

/**
 * The position monitor, SPEC §6: one tick in, the next state and the actions to carry out.
 * Pure: the input state's fields are never changed (a state made by cloneState() keeps a
 * private memo of its quiet prices, invisible to callers); a closed position yields no action.
 * A quiet tick's result may be the state itself, read as a result (state.ts MonitorState).
 *
 * Order: trailing activation / peak (and the trailing-TP peak) are updated at the tick first;
 * then every rule that fires is collected (1 stop loss, 2 take profit, 3 trailing stop,
 * 4 partial levels, 5 time exit, 6 liquidation) and acted on in the order the price reaches
 * them on a continuous move (ties and non-continuous ticks: rule order). The first close-all
 * ends the tick.
 */
export function evaluate(state: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult {
  // Fast path: nothing can fire or move anywhere on this tick's move (or the position is closed,
  // or the price feed broken: NaN, 0, negative) → the same state, lastPrice included. Keeping the
  // older lastPrice is exact: it was left by a tick after which no level lay at or beyond it, and
  // a continuous move from any such price fires the same rules at the same fills (the fired set
  // depends on p alone; fills are the levels; all fired levels lie on one side of p, so their
  // order along the move is the same). It also spares the garbage collector ten thousand
  // surviving copies per tick. First the state's memo (quiet.ts quietByMemo): most ticks, two
  // comparisons and no garbage; then classifyTick() for a price near a level, a state without a
  // memo for these settings, or a plain object.
  const known = quietByMemo(state, tick, settings);
  if (known !== null) return known;
  const move = classifyTick(state, tick, settings);
  if (move === QUIET) return quietResult(state, settings);
  // the busiest ticks of a book move thousands of trailing peaks and nothing else: rule 3's
  // first half alone (the same next state and actions as the full rules)
  if (move === TRAILING_PEAK) return movePeak(state, tick, settings);
  // and a reversal closes thousands by their trailing stops at once
  return trailingStopAlone(state, tick, settings) ?? evaluateRules(state, tick, settings);
}

/**
 * The rules of SPEC §6 without evaluate()'s fast path: every rule is checked, and the next
 * state is always a new object (lastPrice = the tick price). For an open position and a valid
 * price; evaluate() is the entry point, this is exported so tests can hold the fast path to it.
 */
export function evaluateRules(state: PositionState, tick: Tick, settings: MonitorSettings): MonitorResult {
  const p = tick.price;
  const continuous = tick.continuous && state.lastPrice !== null;
  const ctx: TickContext = {
    prev: continuous ? (state.lastPrice as number) : p,
    p,
    time: tick.time,
    continuous,
    settings,
  };
  const s: PositionState = cloneState(state, p);
  const actions: MonitorAction[] = [];

  updateTrailing(s, ctx, actions);
  updateTrailingTpPeak(s, p);

  // the triggers list is allocated only when a rule fires (most acting ticks only move a trailing stop)
  let triggers: Trigger[] | null = null;
  const sl = detectStopLoss(s, ctx, actions);
  if (sl !== null) triggers = [sl];
  const tp = detectTakeProfit(s, ctx);
  if (tp !== null) {
    if (triggers === null) triggers = [tp];
    else triggers.push(tp);
  }
  const ts = detectTrailingStop(s, ctx);
  if (ts !== null) {
    if (triggers === null) triggers = [ts];
    else triggers.push(ts);
  }
  triggers = detectPartials(s, ctx, triggers);
  const te = detectTimeExit(s, ctx);
  if (te !== null) {
    if (triggers === null) triggers = [te];
    else triggers.push(te);
  }
  triggers = detectLiquidation(s, ctx, triggers);

  if (triggers !== null) {
    if (triggers.length > 1) triggers.sort(byPathThenRule);
    for (let i = 0; i < triggers.length; i++) {
      act(s, triggers[i] as Trigger, ctx, actions);
      if (s.closed) break;
    }
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
