import { Composer } from 'grammy';
import type { EngineFacade } from '../../engine/facade.ts';
import { ADMIN_COMMANDS, TRADER_COMMANDS } from '../commands.ts';
import { fmtBalance, type BotContext } from '../context.ts';
import { escapeHtml } from '../../telegram/format/numbers.ts';

export interface StartDeps {
  engine: Pick<EngineFacade, 'registerTrader'>;
  adminIds: readonly number[];
  /** USDT */
  paperStartBalance: number;
}

const WELCOME = (name: string, created: boolean, paper: number) =>
  [
    `${created ? 'Welcome' : 'Welcome back'}, ${escapeHtml(name)}!`,
    '',
    'ASE Bot trades AI signals for you: it checks each signal, sizes the position to your risk, opens it on your exchange (or a paper account), and guards it with stop loss, take profit, trailing stop, partial take profit, a time exit and liquidation protection. Every event comes here, with buttons to close or adjust.',
    '',
    `Next step: /connect an exchange account, or start with a paper account (virtual ${fmtBalance(paper)} USDT, no keys needed).`,
    'Then check /settings. /help lists every command.',
  ].join('\n');

export function startFeature(deps: StartDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('start', async (ctx) => {
    const { trader: user, created } = await deps.engine.registerTrader({
      telegramId: ctx.from.id,
      chatId: ctx.chat.id,
      username: ctx.from.username,
      firstName: ctx.from.first_name,
    });
    ctx.trader = user;
    await ctx.reply(WELCOME(ctx.from.first_name, created, deps.paperStartBalance), { parse_mode: 'HTML' });
    if (deps.adminIds.includes(ctx.from.id)) {
      // the admin menu can only be set once the admin's chat exists: now
      await ctx.api.setMyCommands([...TRADER_COMMANDS, ...ADMIN_COMMANDS], { scope: { type: 'chat', chat_id: ctx.chat.id } }).catch(() => undefined);
    }
  });

  chats.command('help', async (ctx) => {
    const lines = TRADER_COMMANDS.map((c) => `/${c.command} — ${escapeHtml(c.description)}`);
    if (deps.adminIds.includes(ctx.from.id)) {
      lines.push(
        '',
        '<b>Admin</b>',
        ...ADMIN_COMMANDS.map((c) => `/${c.command} — ${escapeHtml(c.description)}`),
        '/pause all | /pause &lt;telegram id&gt; — pause everyone or one trader (same for /resume)',
      );
    }
    await ctx.reply(lines.join('\n'), { parse_mode: 'HTML' });
  });

  return feature;
}
