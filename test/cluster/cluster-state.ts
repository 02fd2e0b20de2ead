/**
 * What a cluster run reads of the database and of its app processes while it runs, and how it
 * words them in a report: who holds which shards, the open positions, the signal executions that
 * opened nothing, how each process ended, a tally of audited writes.
 */
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { rowsOf } from '../../src/db/repos/shard-leases.ts';
import { positions } from '../../src/db/schema.ts';
import type { Member } from './cluster-members.ts';
import type { ProxiedRequest } from './recording-proxy.ts';
import type { AuditedWrite } from './write-audit.ts';

/** 'position_reevaluations INSERT ×75, orders UPDATE ×1' */
export function tally(writes: readonly AuditedWrite[]): string {
  const counts = new Map<string, number>();
  for (const w of writes) counts.set(`${w.table} ${w.op}`, (counts.get(`${w.table} ${w.op}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}

export const describeRequest = (r: ProxiedRequest) => `${r.method} ${r.path} ${r.params['newClientOrderId'] ?? r.params['origClientOrderId'] ?? ''} at ${new Date(r.at).toISOString()}`;

export async function sharesOf(database: Database, owner: string): Promise<number[]> {
  return rowsOf<{ shard: number }>(await database.db.execute(sql`select shard from shard_leases where owner = ${owner} and expires_at > now()`)).map((r) => Number(r.shard));
}

export async function openPositions(database: Database): Promise<Array<{ id: string; userId: string }>> {
  return database.db.select({ id: positions.id, userId: positions.userId }).from(positions).where(eq(positions.status, 'open'));
}

/** the signal executions that did not open a position, by status and reason */
export async function unexecuted(database: Database): Promise<string> {
  const rows = rowsOf<{ status: string; reasons: unknown; n: number }>(await database.db.execute(sql`select status, reasons, count(*)::int as n from signal_executions where status <> 'executed' group by 1, 2`));
  return rows.map((r) => `${r.n} ${r.status} ${JSON.stringify(r.reasons)}`).join(', ') || 'none';
}

export async function pendingCount(database: Database): Promise<number> {
  return (await database.db.select({ n: sql<number>`count(*)::int` }).from(positions).where(eq(positions.status, 'pending')))[0]!.n;
}

/** each member alive or how it ended, with its last error lines: for a run that did not finish */
export function membersState(members: readonly Member[]): string {
  return members
    .map((m) => {
      const { exitCode, signalCode } = m.app.proc;
      const state = exitCode === null && signalCode === null ? 'running' : `exited ${exitCode ?? signalCode}`;
      const errors = m.app
        .output()
        .split('\n')
        .filter((l) => /"level":(50|60)|^fatal/.test(l))
        .slice(-3)
        .map((l) => l.slice(0, 400));
      return `${m.name} ${state}${errors.length ? `: ${errors.join(' / ')}` : ''}`;
    })
    .join('; ');
}

