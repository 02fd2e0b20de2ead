/**
 * /signals lists the trader's signals and, beside them, their inputs that became no signal row
 * (issue 14 item 7): a refused webhook alert or post with its reason, a close alert with what it
 * closed, a post or /signal preview waiting for Trade (or ignored, or left until it expired).
 */
import type { InputWithoutSignal } from '../db/repos/signal-inputs.ts';
import type { SignalView } from './facade.ts';
import { PREVIEW_MAX_AGE_MS } from './posts.ts';

const OUTCOMES: Record<InputWithoutSignal['status'], SignalView['outcome']> = {
  refused: 'rejected',
  closed: 'executed',
  preview: 'pending',
  ignored: 'rejected',
  expired: 'rejected',
};

/** `now` (ms): a preview older than PREVIEW_MAX_AGE_MS can no longer be traded and shows so */
export function inputView(input: InputWithoutSignal, now = Number.POSITIVE_INFINITY): SignalView {
  if (input.status === 'preview' && now - input.createdAt.getTime() > PREVIEW_MAX_AGE_MS) {
    input = { ...input, status: 'expired', reasons: ['never traded: the preview was left without Trade or Ignore'] };
  }
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
export function mergeSignalViews(signals: SignalView[], inputs: InputWithoutSignal[], limit: number, now?: number): SignalView[] {
  return [...signals, ...inputs.map((i) => inputView(i, now))].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
}
