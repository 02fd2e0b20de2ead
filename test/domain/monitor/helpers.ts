import { evaluate, openPosition, type OpenPositionInput } from '../../../src/domain/monitor/index.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../../../src/domain/settings.ts';
import type { MonitorAction, MonitorSettings, PositionState } from '../../../src/domain/types.ts';

export const T0 = Date.UTC(2025, 11, 15, 12, 0, 0);
export const MIN = 60_000;

export function settings(over: Partial<MonitorSettings> = {}): MonitorSettings {
  return { ...DEFAULT_MONITOR_SETTINGS, ...over };
}

export function open(input: Partial<OpenPositionInput> & Pick<OpenPositionInput, 'side' | 'entry'>, st: MonitorSettings): PositionState {
  return openPosition(
    { qty: 1, stopLoss: null, takeProfit: null, openedAt: T0, mode: 'spot', ...input },
    st,
  );
}

/** Runs ticks [price, continuous?][] one minute apart; returns every action and the final state. */
export function run(
  state: PositionState,
  ticks: Array<number | [number, boolean]>,
  st: MonitorSettings,
): { state: PositionState; actions: MonitorAction[]; perTick: Array<readonly MonitorAction[]> } {
  let s = state;
  const all: MonitorAction[] = [];
  const perTick: Array<readonly MonitorAction[]> = [];
  ticks.forEach((t, i) => {
    const [price, continuous] = typeof t === 'number' ? [t, false] : t;
    const r = evaluate(s, { time: T0 + (i + 1) * MIN, price, continuous }, st);
    s = r.next;
    all.push(...r.actions);
    perTick.push(r.actions);
  });
  return { state: s, actions: all, perTick };
}

export const trades = (actions: readonly MonitorAction[]) =>
  actions
    .filter((a) => a.type === 'close_all' || a.type === 'partial' || a.type === 'reduce')
    .map((a) => ({ type: a.type, reason: a.reason, qty: a.qty, price: a.price }));
