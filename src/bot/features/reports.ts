/** /balance, /trades [n], /pnl [day|week|month] (with a chart), /daily [n], /performance, /signals. */
import { Composer, InputFile } from 'grammy';
import type { Period } from '../../engine/facade.ts';
import { NEEDS_START, type BotContext, type FeatureDeps } from '../context.ts';
import { renderPnlChart } from '../../telegram/format/chart.ts';
import { formatBalances, formatDaily, formatPerformance, formatPnl, formatSignals, formatTrades } from '../../telegram/format/reports.ts';

export const TRADES_USAGE = 'Usage: /trades [n] — n is a whole number from 1 to 50 (default 10).';
export const PNL_USAGE = 'Usage: /pnl [day|week|month] (default week).';
export const DAILY_USAGE = 'Usage: /daily [n] — n is a whole number of days from 1 to 30 (default 7).';

export function parseDaysArg(arg: string): number | undefined {
  const t = arg.trim();
  if (t === '') return 7;
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 30 ? n : undefined;
}

export function parseTradesArg(arg: string): number | undefined {
  const t = arg.trim();
  if (t === '') return 10;
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 && n <= 50 ? n : undefined;
}

export function parsePeriodArg(arg: string): Period | undefined {
  const t = arg.trim().toLowerCase();
  if (t === '') return 'week';
  if (t === 'day' || t === 'week' || t === 'month') return t;
  return { d: 'day', w: 'week', m: 'month', today: 'day', '24h': 'day', '7d': 'week', '30d': 'month' }[t] as Period | undefined;
}

export function reportsFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command('balance', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    await ctx.replyWithChatAction('typing');
    await ctx.reply(formatBalances(await deps.engine.balances(ctx.trader.id)), { parse_mode: 'HTML' });
  });

  chats.command('trades', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const n = parseTradesArg(ctx.match);
    if (n === undefined) return ctx.reply(TRADES_USAGE);
    await ctx.reply(formatTrades(await deps.engine.recentTrades(ctx.trader.id, n), n), { parse_mode: 'HTML' });
  });

  chats.command('pnl', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const period = parsePeriodArg(ctx.match);
    if (!period) return ctx.reply(PNL_USAGE);
    const report = await deps.engine.pnl(ctx.trader.id, period);
    const text = formatPnl(report);
    if (report.trades === 0) return ctx.reply(text, { parse_mode: 'HTML' });
    const png = renderPnlChart(report.series.map((p) => ({ time: p.time.getTime(), value: p.cumulativePnl })));
    await ctx.replyWithPhoto(new InputFile(png, `pnl-${period}.png`), { caption: text, parse_mode: 'HTML' });
  });

  chats.command('daily', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    const days = parseDaysArg(ctx.match);
    if (days === undefined) return ctx.reply(DAILY_USAGE);
    await ctx.reply(formatDaily(await deps.engine.daily(ctx.trader.id, days)), { parse_mode: 'HTML' });
  });

  chats.command('performance', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    await ctx.reply(formatPerformance(await deps.engine.performance(ctx.trader.id)), { parse_mode: 'HTML' });
  });

  chats.command('signals', async (ctx) => {
    if (!ctx.trader) return ctx.reply(NEEDS_START);
    await ctx.reply(formatSignals(await deps.engine.recentSignals(ctx.trader.id, 10)), { parse_mode: 'HTML' });
  });

  return feature;
}
