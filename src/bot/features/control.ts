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
      const actor = actorOf(ctx, ctx.trader, deps.adminIds);

      if (arg !== '') {
        // the engine checks the rights again; this only spares a lookup
        if (!deps.engine.isAdmin(actor)) return ctx.reply(ADMIN_ONLY);
        if (arg.toLowerCase() === 'all') {
          const r = verb === 'pause' ? await deps.engine.pauseAll(actor) : await deps.engine.resumeAll(actor);
          return ctx.reply(r.ok ? `${verb === 'pause' ? '⏸' : '▶️'} ${r.message}${verb === 'pause' ? ' /resume all to continue.' : ''}` : ADMIN_ONLY);
        }
        if (!/^\d{1,15}$/.test(arg)) return ctx.reply(`Usage: /${verb} — yourself; /${verb} all — everyone; /${verb} <telegram id> — one trader.`);
        const target = await deps.engine.traderByTelegramId(Number(arg));
        if (!target) return ctx.reply(`No trader with Telegram id ${arg}. /users lists them.`);
        const r = verb === 'pause' ? await deps.engine.pauseUser(actor, target.id) : await deps.engine.resumeUser(actor, target.id);
        return ctx.reply(r.ok ? `${verb === 'pause' ? '⏸' : '▶️'} Trader ${arg}: ${r.message}` : r.message);
      }

      if (!ctx.trader) return ctx.reply(NEEDS_START);
      const r = verb === 'pause' ? await deps.engine.pauseUser(actor, ctx.trader.id) : await deps.engine.resumeUser(actor, ctx.trader.id);
      if (!r.ok) return ctx.reply(r.message);
      const held = r.target !== 'everyone' && r.target.heldByAdmin;
      return ctx.reply(
        verb === 'pause'
          ? `⏸ ${r.message.replace('Open positions stay protected.', 'Open positions stay protected (stop loss, take profit, trailing stop keep working).')} /resume to continue.`
          : `${held ? '⏸' : '▶️'} ${r.message}`,
      );
    });
  }

  return feature;
}
