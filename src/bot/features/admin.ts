/** Admin commands (ADMIN_TELEGRAM_IDS): /status and /users. Anyone else gets a plain refusal. */
import { jobsIn, SHARD_COUNT, type Job } from '../../domain/shards.ts';
import { Composer } from 'grammy';
import { actorOf, type BotContext, type FeatureDeps } from '../context.ts';
import { escapeHtml, fmtDuration, fmtTime } from '../../telegram/format/numbers.ts';
import type { EngineStatus, TraderSummary } from '../../engine/facade.ts';
import { ADMIN_ONLY } from './control.ts';

/** `names`: userId → how the admin knows the trader (telegram id, @username), for the concentration lines */
export function formatStatus(s: EngineStatus, outboxDepth: number, now: Date, names: ReadonlyMap<string, string> = new Map()): string {
  const cycle = s.lastCycle
    ? `${fmtTime(s.lastCycle.at)} (${fmtDuration(now.getTime() - s.lastCycle.at.getTime())} ago): ${s.lastCycle.signals} signals, ${s.lastCycle.executed} executed, ${s.lastCycle.rejected} rejected`
    : 'none yet';
  const feeds = s.marketData.length
    ? s.marketData.map(
        (m) =>
          `  ${m.stale || m.staleSymbols.length > 0 ? '⚠️' : '✅'} ${escapeHtml(m.exchange)}: ${m.symbols} symbols, last tick ${m.lastTickAt ? `${fmtDuration(now.getTime() - m.lastTickAt.getTime())} ago` : 'never'}${
            m.staleSymbols.length > 0 ? `; stream quiet on ${escapeHtml(m.staleSymbols.join(', '))} (polled)` : ''
          }`,
      )
    : ['  none running'];
  const shown = s.concentration.traders.slice(0, 5);
  const concentration = s.concentration.traders.length
    ? [
        `⚠️ Concentrated traders (Herfindahl ≥ ${s.concentration.threshold} over open positions): ${s.concentration.traders.length}`,
        ...shown.map((t) => `  ${escapeHtml(names.get(t.userId) ?? t.userId.slice(0, 8))}: ${t.herfindahl.toFixed(2)} over ${t.positions} position${t.positions === 1 ? '' : 's'}`),
        ...(s.concentration.traders.length > shown.length ? [`  … and ${s.concentration.traders.length - shown.length} more`] : []),
      ]
    : [`Concentration: no trader at Herfindahl ≥ ${s.concentration.threshold}`];
  const held = s.protections ?? [];
  const protections = held.length
    ? [
        `🛡 Protections holding entries: ${held.length} account${held.length === 1 ? '' : 's'}`,
        ...held.slice(0, 5).flatMap((a) => a.locks.map((l) => `  ${escapeHtml(names.get(a.userId) ?? a.userId.slice(0, 8))}: ${escapeHtml(l.protection.replace('_', ' '))} (${escapeHtml(l.scope === 'all' ? 'every pair' : l.scope)}) until ${fmtTime(l.until)}${l.detail ? `: ${escapeHtml(l.detail)}` : ''}`)),
        ...(held.length > 5 ? [`  … and ${held.length - 5} more`] : []),
      ]
    : ['Protections: none holding entries'];
  const council = s.council === undefined ? [] : [councilLine(s.council, now)];
  const processes = s.processes
    ? [
        `Processes: ${s.processes.length} sharing ${s.processes.reduce((n, p) => n + p.shards.length, 0)} of ${SHARD_COUNT} shards`,
        ...s.processes.map(
          (p) =>
            `  ${escapeHtml(p.host)} pid ${p.pid}${p.self ? ' (this one)' : ''}: ${p.shards.length} shards (${shardRanges(p.shards) || 'none'})${jobLine(p.shards)}, heartbeat ${fmtDuration(Math.max(0, now.getTime() - p.heartbeatAt.getTime()))} ago, up ${fmtDuration(Math.max(0, now.getTime() - p.startedAt.getTime()))}`,
        ),
      ]
    : [];
  return [
    '🩺 <b>Status</b>',
    `Uptime: ${fmtDuration(now.getTime() - s.startedAt.getTime())} (since ${fmtTime(s.startedAt)})`,
    `Traders: ${s.traders} (${s.pausedTraders} paused)${s.pausedGlobally ? ' · ⏸ <b>paused for everyone</b>' : ''}`,
    `Open positions: ${s.openPositions}${s.processes ? ' (this process)' : ''}`,
    ...processes,
    ...concentration,
    ...protections,
    `Last signal cycle: ${cycle}`,
    ...council,
    'Market data:',
    ...feeds,
    databaseLine(s, now),
    `Alert outbox: ${outboxDepth} waiting`,
  ].join('\n');
}

const JOB_NAMES: Record<Job, string> = { telegram: 'Telegram and alerts', sweep: 'signal sweep', council: 'council' };

/** the once-per-bot jobs a process runs (those whose shards it holds) */
function jobLine(shards: readonly number[]): string {
  const jobs = jobsIn(shards);
  return jobs.length === 0 ? '' : `, runs ${jobs.map((j) => JOB_NAMES[j]).join(', ')}`;
}

/** shard numbers as ranges: [0, 1, 2, 5, 7, 8] → "0–2, 5, 7–8" */
export function shardRanges(shards: readonly number[]): string {
  const sorted = [...shards].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** SPEC §9: the built-in council, its symbols and what its last run said */
function councilLine(c: EngineStatus['council'], now: Date): string {
  if (!c) return 'Council: off';
  const head = `Council: every ${c.minutes} min on ${escapeHtml(c.symbols.join(', '))}`;
  if (!c.lastRun) return `${head}; not run yet`;
  const results = c.lastRun.results.map((r) => `${escapeHtml(r.symbol)} ${r.action ? `${r.action} ${(r.confidence ?? 0).toFixed(2)}` : escapeHtml(r.note)}`).join(', ');
  return `${head}; last run ${fmtDuration(now.getTime() - c.lastRun.at.getTime())} ago: ${results}`;
}

/** SPEC §10: during an outage exits go to the local journal; /status says since when and how many wait */
function databaseLine(s: EngineStatus, now: Date): string {
  const d = s.database;
  if (d && !d.available && d.downSince) {
    const waiting = d.exitsAwaitingRecord;
    return `Database: ❌ unavailable for ${fmtDuration(now.getTime() - d.downSince.getTime())} (since ${fmtTime(d.downSince)}); exits still reach the exchange (local journal), ${waiting} waiting to be recorded`;
  }
  return `Database: ${s.databaseOk ? '✅ ok' : '❌ unreachable'}`;
}

export function formatUsers(list: TraderSummary[]): string {
  if (list.length === 0) return 'No traders yet.';
  const rows = list.map(
    (u) =>
      `${u.paused ? '⏸' : '▶️'} <code>${u.telegramId}</code> ${escapeHtml(u.firstName ?? '')}${u.username ? ` @${escapeHtml(u.username)}` : ''} · ${u.accounts} account${u.accounts === 1 ? '' : 's'} · ${u.openPositions} open`,
  );
  return [`👥 <b>Traders (${list.length})</b>`, ...rows, '', '/pause &lt;id&gt; or /resume &lt;id&gt; for one trader.'].join('\n');
}

export function adminFeature(deps: FeatureDeps) {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType('private');

  chats.command(['status', 'users'], async (ctx) => {
    const command = ctx.message.text.startsWith('/status') ? 'status' : 'users';
    const actor = actorOf(ctx, ctx.trader, deps.adminIds);
    // the engine decides who is an administrator
    if (!deps.engine.isAdmin(actor)) {
      await deps.engine.recordAudit(actor, 'admin.refused', command);
      return ctx.reply(ADMIN_ONLY);
    }
    await deps.engine.recordAudit(actor, `admin.${command}`);
    const traders = await deps.engine.listTraders(actor, command === 'status' ? 1000 : 100);
    if (!traders.ok) return ctx.reply(ADMIN_ONLY);
    if (command === 'status') {
      const status = await deps.engine.status();
      const names = new Map<string, string>();
      for (const t of traders.traders) names.set(t.userId, `${t.telegramId}${t.username ? ` @${t.username}` : ''}`);
      return ctx.reply(formatStatus(status, status.outboxDepth, deps.now(), names), { parse_mode: 'HTML' });
    }
    return ctx.reply(formatUsers(traders.traders), { parse_mode: 'HTML' });
  });

  return feature;
}
