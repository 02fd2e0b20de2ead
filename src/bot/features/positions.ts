/**
 * /positions and the position controls (under /positions messages and under alerts).
 * A button acts only for the position's owner, once per (message, button drawing): a double tap
 * finds its claim taken; the engine re-checks the position under its lock, and a closed position
 * answers "already closed" without acting. The engine audits the actions it takes (the actor
 * rides along); the bot audits what never reaches it (a refused button).
 */
import { Composer } from 'grammy';
import type { PositionView } from '../../engine/facade.ts';
import { EXPIRED, positionData, readPositionData } from '../../telegram/callback-data.ts';
import { actorOf, NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { ADJUST_DIALOG } from '../dialogs/adjust.ts';
import { levelFor } from '../../telegram/notify-levels.ts';
import { formatPosition, formatPositionsTable, TABLE_ROWS } from '../../telegram/format/positions.ts';
import { freshNonce, positionKeyboard, positionsListKeyboard } from '../../telegram/keyboards/position.ts';

export const STALE = 'This position is already closed.';
export const NOT_YOURS = 'This is not one of your positions.';
export const ALREADY_DONE = 'Already done: this button acts once.';

/** claims outlive any double tap by far; older ones are swept now and then (ms) */
const CLAIM_TTL_MS = 2 * 86_400_000;
const SWEEP_EVERY_MS = 3_600_000;

export function positionsFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  let lastSweep = 0;
  const chats = feature.chatType('private');

  chats.command('positions', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const list = await deps.engine.listPositions(ctx.trader.id);
    if (list.length === 0) return ctx.reply('No open positions. New signals open them automatically; /signals shows what came in.');
    // one message: the table, and a button per position that opens its card (with its controls)
    await ctx.reply(formatPositionsTable(list), { parse_mode: 'HTML', reply_markup: positionsListKeyboard(list.slice(0, TABLE_ROWS)) });
  });

  chats.callbackQuery(positionData.filter(), async (ctx) => {
    const trader = ctx.trader;
    if (!trader) return ctx.answerCallbackQuery({ text: NEEDS_START, show_alert: true });
    const data = ctx.callbackQuery.data;
    const read = readPositionData(data);
    if (!read) return ctx.answerCallbackQuery({ text: EXPIRED });
    const { a, id, n } = read;
    const message = ctx.callbackQuery.message;
    const isView = n.startsWith('v');
    const actor = actorOf(ctx, trader, deps.adminIds);

    /** redraws the message after an action: the view shows the position again, an alert keeps its text */
    const redraw = async (p: PositionView | undefined) => {
      const open = p !== undefined && p.status === 'open';
      const markup = open ? positionKeyboard(p.id, freshNonce(isView ? 'v' : 'a')) : undefined;
      if (isView && p) await ctx.editMessageText(formatPosition(p, deps.now()), { parse_mode: 'HTML', reply_markup: markup }).catch(() => undefined);
      else await ctx.editMessageReplyMarkup({ reply_markup: markup }).catch(() => undefined);
    };

    if (a === 'card') {
      const p = await deps.engine.getPosition(trader.id, id);
      if (!p) return ctx.answerCallbackQuery({ text: NOT_YOURS, show_alert: true });
      if (p.status !== 'open') return ctx.answerCallbackQuery({ text: STALE, show_alert: true });
      await ctx.answerCallbackQuery();
      return ctx.reply(formatPosition(p, deps.now()), { parse_mode: 'HTML', reply_markup: positionKeyboard(p.id, freshNonce('v')) });
    }

    if (a === 'ref') {
      const p = await deps.engine.getPosition(trader.id, id);
      if (!p) return ctx.answerCallbackQuery({ text: NOT_YOURS, show_alert: true });
      await ctx.answerCallbackQuery({ text: p.status === 'open' ? 'Updated.' : STALE });
      return redraw(p);
    }

    if (message && !(await deps.claims.claimOnce(`${message.chat.id}:${message.message_id}:${data}`))) {
      return ctx.answerCallbackQuery({ text: ALREADY_DONE });
    }
    const now = deps.now().getTime();
    if (now - lastSweep > SWEEP_EVERY_MS) {
      lastSweep = now;
      await deps.claims.sweep(new Date(now - CLAIM_TTL_MS)).catch(() => undefined);
    }

    const p = await deps.engine.getPosition(trader.id, id);
    if (!p) {
      await deps.engine.recordAudit(actor, 'position.refused', id, { button: a, reason: 'not_owner' });
      return ctx.answerCallbackQuery({ text: NOT_YOURS, show_alert: true });
    }
    if (p.status !== 'open') {
      await ctx.answerCallbackQuery({ text: STALE, show_alert: true });
      return redraw(p);
    }

    if (a === 'adj') {
      await ctx.answerCallbackQuery();
      await redraw(p);
      await ctx.conversation.exitAll();
      return ctx.conversation.enter(ADJUST_DIALOG, id);
    }

    if (a === 'be') {
      const result = await deps.engine.stopLossToBreakeven(actor, trader.id, id);
      if (result.ok) {
        await ctx.answerCallbackQuery({ text: result.message.slice(0, 190) });
        return redraw(result.position ?? (await deps.engine.getPosition(trader.id, id)));
      }
      if (result.code === 'not_owner' || result.code === 'not_found') return ctx.answerCallbackQuery({ text: NOT_YOURS, show_alert: true });
      await ctx.answerCallbackQuery({ text: (result.code === 'closed' ? STALE : result.message).slice(0, 190), show_alert: true });
      // the claim is spent; draw a fresh keyboard so the trader can try again
      return redraw(await deps.engine.getPosition(trader.id, id));
    }

    // A close waits on the exchange: the toast says at once that it is on its way (Telegram shows
    // a spinner until the toast comes, and other traders' presses must not wait behind this one);
    // the result follows as a message: the engine's close alert, or why it did not close.
    const fraction = a === 'close' ? 1 : 0.5;
    const what = fraction === 1 ? p.symbol : `50 % of ${p.symbol}`;
    await ctx.answerCallbackQuery({ text: `Closing ${what}…` });
    const result = await deps.engine.closePosition(actor, trader.id, id, fraction);
    if (result.ok) {
      // the close alert is the result; a trader who switched that alert off gets the result here
      if (levelFor(trader.notifyPrefs, 'manual') === 'off') await ctx.reply(result.message);
      const after = result.position ?? (await deps.engine.getPosition(trader.id, id));
      // an alert under a position now closed keeps its buttons (they answer "already closed"): the
      // closing alert follows at once, and the edit would take a message slot from everyone's alerts
      if (!isView && after?.status === 'closed') return;
      return redraw(after);
    }
    switch (result.code) {
      case 'queued':
        // sent to the process holding the trader's positions (SPEC §12): its alert follows
        return ctx.reply(`${what}: ${result.message}`);
      case 'closed':
        await ctx.reply(`${p.symbol}: ${STALE}`);
        return redraw(await deps.engine.getPosition(trader.id, id));
      case 'not_owner':
      case 'not_found':
        return ctx.reply(NOT_YOURS);
      default:
        await ctx.reply(`Could not close ${what}: ${result.message}`);
        // the claim is spent; draw a fresh keyboard so the trader can try again
        return redraw(await deps.engine.getPosition(trader.id, id));
    }
  });

  return feature;
}
