/**
 * What the cluster test checks at the end of a run, from the edges: the exchange emulator's books
 * (one entry per position, exits summing to no more than it bought, no client id used twice, no
 * stop left resting), the database (every position closed with its exits, the account holding
 * only the dust recorded), and the Bot API emulator (sendMessage per second, getUpdates by one
 * process at a time, 409 Conflicts).
 */
import type { Database } from '../../src/db/client.ts';
import { positions, trades } from '../../src/db/schema.ts';
import type { BinanceBook } from '../emulators/exchange/binance-book.ts';
import type { CallRecord } from '../emulators/bot-api.ts';
import type { Member } from './cluster-members.ts';
import { telegramMethod } from './cluster-members.ts';
import { CLUSTER_MARKETS } from './price-walk.ts';

const EPS = 1e-8;

export interface Trader {
  userId: string;
  key: string;
  book: BinanceBook;
}

export interface BookFindings {
  positions: number;
  entries: number;
  exits: number;
  duplicates: string[];
  lost: string[];
}

export async function checkPositions(database: Database, traders: readonly Trader[], expected: number, holderOf: (userId: string) => string): Promise<BookFindings> {
  const duplicates: string[] = [];
  const lost: string[] = [];
  const byUser = new Map(traders.map((t) => [t.userId, t]));
  const all = await database.db.select().from(positions);
  const exits = await database.db.select().from(trades);
  let entries = 0;
  let exitOrders = 0;
  if (all.length < expected) lost.push(`${all.length} positions in the database, ${expected} expected`);
  if (all.length > expected) duplicates.push(`${all.length} positions in the database for ${expected} signals × traders`);

  for (const t of traders) {
    const clientIds = new Map<string, number>();
    for (const o of t.book.orders) clientIds.set(o.clientOrderId, (clientIds.get(o.clientOrderId) ?? 0) + 1);
    for (const [id, n] of clientIds) if (n > 1) duplicates.push(`trader ${t.key}: client id ${id} on ${n} orders`);
    for (const m of CLUSTER_MARKETS) {
      const orders = t.book.orders.filter((o) => o.symbol === m.id);
      const buys = orders.filter((o) => o.side === 'BUY');
      const sells = orders.filter((o) => o.side === 'SELL' && o.executedQty > 0);
      entries += buys.length;
      exitOrders += sells.length;
      if (buys.length > 1) duplicates.push(`trader ${t.key} ${m.symbol}: ${buys.length} entries`);
      const bought = buys.reduce((s, o) => s + o.executedQty - (o.commissionAsset === m.base ? o.commission : 0), 0);
      const sold = sells.reduce((s, o) => s + o.executedQty, 0);
      if (sold > bought + EPS) duplicates.push(`trader ${t.key} ${m.symbol}: sold ${sold}, bought ${bought}`);
      const resting = orders.filter((o) => o.status === 'NEW');
      if (resting.length > 0) lost.push(`trader ${t.key} ${m.symbol}: ${resting.length} orders left resting (${resting.map((o) => o.type).join(', ')})`);
    }
  }

  for (const p of all) {
    const t = byUser.get(p.userId);
    const where = `position ${p.id} (${t?.key ?? p.userId} ${p.symbol})`;
    if (!t) {
      lost.push(`${where}: not a trader of this run`);
      continue;
    }
    if (p.status !== 'closed') lost.push(`${where}: ${p.status} at the end, with the price below every stop (${holderOf(p.userId)})`);
    const its = exits.filter((x) => x.positionId === p.id);
    const sold = its.reduce((s, x) => s + Number(x.quantity), 0);
    const dust = its.reduce((s, x) => s + Number(x.dust), 0);
    if (Math.abs(sold + dust + Number(p.qty) - Number(p.qtyInitial)) > EPS) lost.push(`${where}: exits ${sold} + dust ${dust} + left ${p.qty} ≠ bought ${p.qtyInitial}`);
    if (p.status === 'closed' && its.length === 0) lost.push(`${where}: closed without a trade`);
    const base = CLUSTER_MARKETS.find((m) => m.symbol === p.symbol)?.base;
    if (base) {
      const onExchange = t.book.spot(base).free + t.book.spot(base).locked;
      const expectedHeld = Number(p.qty) + dust;
      if (Math.abs(onExchange - expectedHeld) > EPS) lost.push(`${where}: the account holds ${onExchange} ${base}, the position says ${expectedHeld}`);
    }
  }
  return { positions: all.length, entries, exits: exitOrders, duplicates, lost };
}

/** the most sendMessage calls answered ok within any 1 s (a window opening at each call) */
export function maxPerSecond(calls: readonly CallRecord[]): number {
  const times = calls.filter((c) => c.ok).map((c) => c.time).sort((a, b) => a - b);
  let best = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[from]! >= 1_000) from++;
    best = Math.max(best, i - from + 1);
  }
  return best;
}

export interface PollerFindings {
  /** members that called getUpdates after the start-up settled */
  pollers: string[];
  /** two members' getUpdates in flight at once */
  overlaps: string[];
  /** 409 answers to a member's getUpdates after the start-up settled */
  conflicts: string[];
  /** 409 answers to a long poll a member had open when it was frozen (the new owner's first poll ends it, as Telegram does) */
  conflictsOfFrozenPolls: number;
}

export function checkPollers(members: readonly Member[], settledAt: number, endAt: number): PollerFindings {
  /** a poll that began before its member was frozen or killed is no longer that member's doing */
  const stale = (m: Member, at: number) => (m.frozenAt !== undefined && at < m.frozenAt) || (m.killedAt !== undefined && at < m.killedAt);
  const polls = members.flatMap((m) =>
    m.telegram.requests
      .filter((r) => telegramMethod(r) === 'getUpdates' && (r.endedAt ?? endAt) > settledAt)
      .map((r) => ({ member: m, at: r.at, end: r.endedAt ?? endAt, status: r.status, stale: stale(m, r.at) && (r.endedAt ?? endAt) > (m.frozenAt ?? m.killedAt ?? 0) })),
  );
  const overlaps: string[] = [];
  const live = polls.filter((p) => !p.stale && p.at > settledAt);
  for (const a of live) {
    for (const b of live) {
      if (a.member.name >= b.member.name) continue;
      if (a.at < b.end && b.at < a.end) overlaps.push(`${a.member.name} and ${b.member.name} polled at once (${new Date(Math.max(a.at, b.at)).toISOString()})`);
    }
  }
  const conflicts = polls.filter((p) => p.status === 409 && p.at > settledAt && !p.stale).map((p) => `${p.member.name}: 409 at ${new Date(p.end).toISOString()}`);
  return {
    pollers: [...new Set(live.map((p) => p.member.name))].sort(),
    overlaps: overlaps.slice(0, 20).concat(overlaps.length > 20 ? [`… ${overlaps.length} in all`] : []),
    conflicts,
    conflictsOfFrozenPolls: polls.filter((p) => p.status === 409 && p.stale).length,
  };
}
