/**
 * /pause and /resume. A trader pauses themself; an admin may add `all` or a trader's Telegram id.
 * Paused = no new positions; open positions stay protected. The engine audits each with its actor.
 */
import { Composer } from 'grammy';
import { actorOf, NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';

export const ADMIN_ONLY = 'This command is for administrators only.';

export function controlFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  for (const verb of ['pause', 'resume'] as const) {
    chats.command(verb, async (ctx) => {
      const arg = ctx.match.trim();
      const isAdmin = deps.adminIds.includes(ctx.from.id);
      const actor = actorOf(ctx, ctx.trader, deps.adminIds);

      if (arg !== '') {
        if (!isAdmin) return ctx.reply(ADMIN_ONLY);
        if (arg.toLowerCase() === 'all') {
          if (verb === 'pause') await deps.engine.pauseAll(actor);
          else await deps.engine.resumeAll(actor);
          return ctx.reply(verb === 'pause' ? '⏸ Paused for everyone: no new positions; open positions stay protected. /resume all to continue.' : '▶️ Resumed for everyone.');
        }
        if (!/^\d{1,15}$/.test(arg)) return ctx.reply(`Usage: /${verb} — yourself; /${verb} all — everyone; /${verb} <telegram id> — one trader.`);
        const target = await deps.recipients.byTelegramId(Number(arg));
        if (!target) return ctx.reply(`No trader with Telegram id ${arg}. /users lists them.`);
        if (verb === 'pause') await deps.engine.pauseUser(actor, target.userId);
        else await deps.engine.resumeUser(actor, target.userId);
        return ctx.reply(`${verb === 'pause' ? '⏸ Paused' : '▶️ Resumed'} trader ${arg}.`);
      }

      if (!ctx.trader) return ctx.reply(NEEDS_START);
      if (verb === 'pause') await deps.engine.pauseUser(actor, ctx.trader.id);
      else await deps.engine.resumeUser(actor, ctx.trader.id);
      return ctx.reply(
        verb === 'pause'
          ? '⏸ Paused: no new positions will be opened. Open positions stay protected (stop loss, take profit, trailing stop keep working). /resume to continue.'
          : '▶️ Resumed: new signals will open positions again.',
      );
    });
  }

  return feature;
}
