/** Adjust SL/TP from a position's button: which one, then the price; re-asks with the reason. */
import { InlineKeyboard } from 'grammy';
import type { ControlResult, PositionView } from '../../engine/facade.ts';
import { adjustData, CANCEL_DATA } from '../../telegram/callback-data.ts';
import type { Dialog, DialogContext, FeatureDeps } from '../context.ts';
import { escapeHtml, fmtPrice, quoteOf } from '../../telegram/format/numbers.ts';
import { positionTitle } from '../../telegram/format/positions.ts';
import { readNumber } from '../../telegram/number-input.ts';
import { askChoice, askUntilDone } from './ask.ts';

export const ADJUST_DIALOG = 'adjust';

type Snapshot = Pick<PositionView, 'symbol' | 'side' | 'isPaper' | 'exchange' | 'mode' | 'leverage' | 'entryPrice' | 'lastPrice' | 'stopLoss' | 'takeProfit' | 'status' | 'number' | 'accountLabel' | 'priceTick' | 'quote'>;

function snapshot(p: PositionView): Snapshot {
  const { symbol, side, isPaper, exchange, mode, leverage, entryPrice, lastPrice, stopLoss, takeProfit, status, number, accountLabel, priceTick, quote } = p;
  return { symbol, side, isPaper, exchange, mode, leverage, entryPrice, lastPrice, stopLoss, takeProfit, status, number, accountLabel, priceTick, quote };
}

/** A typed price: positive number; for a long the stop is below the market and the target above (reverse for a short). */
export function priceProblem(p: Snapshot, which: 'sl' | 'tp', raw: string): { price: number } | { problem: string } {
  const read = readNumber(raw, [quoteOf(p.symbol)]);
  if (!read.ok) return { problem: read.reason };
  const price = read.value;
  if (!(price > 0)) return { problem: `${fmtPrice(price)} is not a price: it must be above 0.` };
  const ref = p.lastPrice ?? p.entryPrice;
  const below = (which === 'sl') === (p.side === 'long');
  const name = which === 'sl' ? 'stop loss' : 'take profit';
  if (below && price >= ref) return { problem: `A ${p.side}'s ${name} must be below the current price ${fmtPrice(ref)}.` };
  if (!below && price <= ref) return { problem: `A ${p.side}'s ${name} must be above the current price ${fmtPrice(ref)}.` };
  return { price };
}

export function createAdjustDialog(deps: FeatureDeps) {
  return async function adjust(conversation: Dialog, ctx: DialogContext, positionId: string): Promise<void> {
    const fromId = ctx.from?.id;
    if (fromId === undefined) return;
    const found = await conversation.external(async () => {
      const u = await deps.engine.traderByTelegramId(fromId);
      if (!u) return null;
      const p = await deps.engine.getPosition(u.id, positionId);
      return p ? { userId: u.id, position: snapshot(p) } : null;
    });
    if (!found || found.position.status !== 'open') {
      await ctx.reply(found ? 'This position is already closed.' : 'This is not one of your positions.');
      return;
    }
    const { userId, position } = found;
    const kb = new InlineKeyboard()
      .text(`🛑 Stop loss (${fmtPrice(position.stopLoss, position.priceTick)})`, adjustData.pack({ which: 'sl' }))
      .row()
      .text(`🎯 Take profit (${fmtPrice(position.takeProfit, position.priceTick)})`, adjustData.pack({ which: 'tp' }))
      .row()
      .text('Cancel', CANCEL_DATA);
    const choice = await askChoice(conversation, ctx, `${positionTitle(position)}\nEntry ${fmtPrice(position.entryPrice, position.priceTick)} · now ${fmtPrice(position.lastPrice, position.priceTick)}\nWhat do you want to change?`, kb, /^adj:(sl|tp)$/);
    const which = adjustData.unpack(choice).which === 'tp' ? 'tp' : 'sl';
    const name = which === 'sl' ? 'stop loss' : 'take profit';
    const side = (which === 'sl') === (position.side === 'long') ? 'below' : 'above';
    const ask = `New <b>${name}</b> price for ${escapeHtml(position.symbol)}, in ${escapeHtml(position.quote ?? quoteOf(position.symbol))} (now ${fmtPrice(position.lastPrice, position.priceTick)}; must be ${side} it):`;
    await askUntilDone(
      conversation,
      ctx,
      ask,
      async (text) => {
        const checked = priceProblem(position, which, text);
        if ('problem' in checked) return escapeHtml(checked.problem);
        const result: ControlResult = await conversation.external(async () => {
          const actor = { telegramId: fromId, userId, ...(deps.adminIds.includes(fromId) ? { admin: true } : {}) };
          // the engine audits the change with this actor
          const r = which === 'sl' ? await deps.engine.moveStopLoss(actor, userId, positionId, checked.price) : await deps.engine.moveTakeProfit(actor, userId, positionId, checked.price);
          // the view holds Dates: only the outcome crosses into the replay log
          return r.ok ? { ok: true, message: r.message } : { ok: false, code: r.code, message: r.message };
        });
        if (!result.ok && result.code === 'invalid') return escapeHtml(result.message);
        await ctx.reply(`${result.ok ? '✅' : result.code === 'queued' ? '⏳' : '❌'} ${escapeHtml(result.message)}`, { parse_mode: 'HTML' });
        return undefined;
      },
      deps.logger,
    );
  };
}
