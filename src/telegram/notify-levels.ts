/**
 * Per-event notification levels (users.notify_prefs): 'on' = a normal message, 'silent' = a message
 * without sound, 'off' = not sent. Pure.
 */
import type { EngineEventKind } from '../engine/events.ts';

export type NotifyLevel = 'on' | 'silent' | 'off';
export type NotifyPrefs = Partial<Record<string, NotifyLevel>>;

export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['on', 'silent', 'off'];

interface KindInfo {
  kind: EngineEventKind;
  label: string;
  default: NotifyLevel;
  /** errors that need the trader, and the liquidation close, cannot be switched off */
  mandatory?: boolean;
}

export const NOTIFY_KINDS: readonly KindInfo[] = [
  { kind: 'position_opened', label: 'Position opened', default: 'on' },
  { kind: 'stop_loss', label: 'Stop loss', default: 'on' },
  { kind: 'take_profit', label: 'Take profit', default: 'on' },
  { kind: 'trailing_stop', label: 'Trailing stop', default: 'on' },
  { kind: 'partial_tp', label: 'Partial take profit', default: 'on' },
  { kind: 'time_exit', label: 'Time exit', default: 'on' },
  { kind: 'liquidation_warning', label: 'Liquidation warning', default: 'on', mandatory: true },
  { kind: 'liquidation_protection', label: 'Liquidation close', default: 'on', mandatory: true },
  { kind: 'manual', label: 'Manual close', default: 'on' },
  { kind: 'signal_reverse', label: 'Closed by an opposite signal', default: 'on' },
  { kind: 'exchange_stop', label: 'Closed by the stop on the exchange', default: 'on', mandatory: true },
  { kind: 'stop_moved', label: 'Stop moved', default: 'silent' },
  { kind: 'take_profit_moved', label: 'Take profit moved', default: 'silent' },
  { kind: 'signal_rejected', label: 'Signal rejected', default: 'off' },
  { kind: 'order_failed', label: 'Order failed', default: 'on', mandatory: true },
  { kind: 'action_needed', label: 'Action needed', default: 'on', mandatory: true },
  { kind: 'prices_stale', label: 'Prices delayed', default: 'on', mandatory: true },
];

const BY_KIND = new Map(NOTIFY_KINDS.map((k) => [k.kind as string, k]));

export function levelFor(prefs: NotifyPrefs, kind: string): NotifyLevel {
  const info = BY_KIND.get(kind);
  const chosen = prefs[kind] ?? info?.default ?? 'on';
  return chosen === 'off' && info?.mandatory ? 'silent' : chosen;
}

/** on → silent → off → on; mandatory kinds skip 'off'. */
export function nextLevel(kind: string, current: NotifyLevel): NotifyLevel {
  const info = BY_KIND.get(kind);
  if (current === 'on') return 'silent';
  if (current === 'silent') return info?.mandatory ? 'on' : 'off';
  return 'on';
}

export function kindLabel(kind: string): string {
  return BY_KIND.get(kind)?.label ?? kind;
}
