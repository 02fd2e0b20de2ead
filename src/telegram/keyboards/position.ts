import { randomBytes } from 'node:crypto';
import { InlineKeyboard } from 'grammy';
import { positionData, type PositionAction } from '../callback-data.ts';
import type { PositionView } from '../../engine/facade.ts';
import { positionButtonLabel } from '../format/positions.ts';

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

/** Under the /positions table: one button per position, two a row, each opening that position's card. */
export function positionsListKeyboard(list: readonly PositionView[]): InlineKeyboard {
  const kb = new InlineKeyboard();
  list.forEach((p, i) => {
    kb.text(positionButtonLabel(p), positionData.pack({ a: 'card', id: p.id, n: freshNonce('v') }));
    if (i % 2 === 1) kb.row();
  });
  return kb;
}
