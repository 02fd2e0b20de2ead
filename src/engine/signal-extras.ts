/**
 * What a trader's input said beyond its trading_signals row (SPEC §9 side table, signal_inputs
 * details): the targets in the order the price reaches them, and the leverage it names.
 */
export interface SignalExtras {
  /** quote per base, in the order the price reaches them */
  targets: number[];
  leverage: number | null;
}

export function signalExtras(details: Record<string, unknown> | null): SignalExtras | null {
  if (details === null) return null;
  const targets = Array.isArray(details.targets) ? details.targets.filter((t): t is number => typeof t === 'number' && Number.isFinite(t) && t > 0) : [];
  const leverage = typeof details.leverage === 'number' && Number.isFinite(details.leverage) && details.leverage >= 1 ? details.leverage : null;
  return { targets, leverage };
}
