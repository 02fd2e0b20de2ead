import { randomBytes } from 'node:crypto';
import { InlineKeyboard } from 'grammy';
import { positionData, type PositionAction } from '../callback-data.ts';

/** The controls under a position message or an alert. `nonce`: see positionData. */
export function positionKeyboard(positionId: string, nonce: string): InlineKeyboard {
  const b = (text: string, a: PositionAction) => InlineKeyboard.text(text, positionData.pack({ a, id: positionId, n: nonce }));
  return InlineKeyboard.from([
    [b('✖ Close', 'close'), b('½ Close 50 %', 'half')],
    [b('🛡 SL → breakeven', 'be'), b('✏️ Adjust SL/TP', 'adj')],
    [b('🔄 Refresh', 'ref')],
  ]);
}

/** a nonce that differs between two drawings of a keyboard (6 random base64url chars) */
export function freshNonce(prefix: 'a' | 'v'): string {
  return `${prefix}${randomBytes(5).toString('base64url').slice(0, 6)}`;
}
