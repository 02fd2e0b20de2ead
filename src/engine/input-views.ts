/**
 * /signals lists the trader's signals and, beside them, their inputs that became no signal row
 * (issue 14 item 7): a refused webhook alert with its reason, a close alert with what it closed.
 */
import type { InputWithoutSignal } from '../db/repos/signal-inputs.ts';
import type { SignalView } from './facade.ts';

export function inputView(input: InputWithoutSignal): SignalView {
  const text = (key: string, fallback: string) => (typeof input.details[key] === 'string' ? (input.details[key] as string) : fallback);
  return {
    id: input.id,
    symbol: text('symbol', '?'),
    action: text('action', input.status === 'refused' ? 'REFUSED' : 'CLOSE'),
    confidence: null,
    source: input.source,
    createdAt: input.createdAt,
    outcome: input.status === 'refused' ? 'rejected' : 'executed',
    reasons: input.reasons,
    positionId: null,
  };
}

/** newest first, at most `limit` */
export function mergeSignalViews(signals: SignalView[], inputs: InputWithoutSignal[], limit: number): SignalView[] {
  return [...signals, ...inputs.map(inputView)].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
}
