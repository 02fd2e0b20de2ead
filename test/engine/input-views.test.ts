/** /signals beside the signals: a trader's inputs without a signal row, each with its reason. */
import { describe, expect, it } from 'vitest';
import { inputView } from '../../src/engine/input-views.ts';
import { PREVIEW_MAX_AGE_MS } from '../../src/engine/posts.ts';

const at = new Date('2026-12-01T12:00:00Z');
const preview = { id: 'i1', source: 'telegram', status: 'preview' as const, reasons: [], details: { symbol: 'BTC/USDT', action: 'BUY' }, createdAt: at };

describe('inputs in /signals', () => {
  it('a preview waits for Trade or Ignore, and once too old to trade shows as never traded', () => {
    expect(inputView(preview, at.getTime() + 60_000)).toMatchObject({ symbol: 'BTC/USDT', action: 'BUY', source: 'telegram', outcome: 'pending', reasons: ['shown to you: waiting for Trade or Ignore'] });
    expect(inputView(preview, at.getTime() + PREVIEW_MAX_AGE_MS + 1)).toMatchObject({ outcome: 'rejected', reasons: ['never traded: the preview was left without Trade or Ignore'] });
  });

  it('ignored and refused posts are rejected with their reasons', () => {
    expect(inputView({ ...preview, status: 'ignored', reasons: ['ignored by you'] })).toMatchObject({ outcome: 'rejected', reasons: ['ignored by you'] });
    expect(inputView({ ...preview, status: 'refused', details: {}, reasons: ['the stop 63000 is not below the entry 62000'] })).toMatchObject({ symbol: '?', action: 'REFUSED', outcome: 'rejected' });
  });
});
