/**
 * /signals lists the trader's signals and, beside them, their inputs that became no signal row
 * (issue 14 item 7): a refused webhook alert with its reason, a close alert with what it closed.
 */
import type { InputWithoutSignal } from '../db/repos/signal-inputs.ts';
import type { SignalView } from './facade.ts';

const OUTCOMES: Record<InputWithoutSignal['status'], SignalView['outcome']> = {
  refused: 'rejected',
  closed: 'executed',
  preview: 'pending',
  ignored: 'rejected',
  expired: 'rejected',
};

export function inputView(input: InputWithoutSignal): SignalView {
  const text = (key: string, fallback: string) => (typeof input.details[key] === 'string' ? (input.details[key] as string) : fallback);
  return {
    id: input.id,
    symbol: text('symbol', '?'),
    action: text('action', input.status === 'closed' ? 'CLOSE' : 'REFUSED'),
    confidence: null,
    source: input.source,
    createdAt: input.createdAt,
    outcome: OUTCOMES[input.status],
    reasons: input.status === 'preview' ? ['shown to you: waiting for Trade or Ignore'] : input.reasons,
    positionId: null,
  };
}

/** newest first, at most `limit` */
export function mergeSignalViews(signals: SignalView[], inputs: InputWithoutSignal[], limit: number): SignalView[] {
  return [...signals, ...inputs.map(inputView)].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
}
