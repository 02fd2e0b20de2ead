/**
 * While the engine finds the database down (SPEC §10), every update is answered here, before
 * anything that needs the database: the trader learns that the database is unavailable and that
 * positions stay protected, instead of a generic error; an admin's /status still works (it reads
 * the engine's memory only).
 */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';
import type { EngineFacade } from '../../engine/facade.ts';
import { fmtDuration } from '../../telegram/format/numbers.ts';
import { formatStatus } from './admin.ts';

export function outageText(outage: { since: Date; exitsAwaitingRecord: number }, now: Date): string {
  const waiting = outage.exitsAwaitingRecord;
  return [
    `⚠️ The bot's database has been unavailable for ${fmtDuration(now.getTime() - outage.since.getTime())}, so this cannot be answered right now.`,
    'Your open positions stay protected: the bot still watches them and sends their exits to the exchange, and each keeps its stop on the exchange.',
    waiting > 0 ? `${waiting} exit${waiting === 1 ? '' : 's'} reached the exchange meanwhile and will be recorded when the database is back.` : '',
    'Please try again in a few minutes.',
  ]
    .filter(Boolean)
    .join('\n');
}

export function outageGate(deps: { engine: EngineFacade; adminIds: readonly number[]; now: () => Date }) {
  const gate = new Composer<BotContext>();
  gate.use(async (ctx, next) => {
    const outage = deps.engine.databaseOutage();
    if (!outage) return next();
    const text = outageText(outage, deps.now());
    if (ctx.callbackQuery) return ctx.answerCallbackQuery({ text: text.slice(0, 190), show_alert: true });
    if (!ctx.chat || ctx.chat.type !== 'private' || !ctx.from) return;
    if (ctx.msg?.text?.startsWith('/status') && deps.adminIds.includes(ctx.from.id)) {
      return ctx.reply(formatStatus(await deps.engine.status(), 0, deps.now()), { parse_mode: 'HTML' });
    }
    return ctx.reply(text);
  });
  return gate;
}
