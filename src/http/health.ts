/**
 * GET /healthz (SPEC §9): healthy when the engine runs, the database answers and the market data
 * is fresh; otherwise each failing part is named. Every check is a pure function of one engine
 * status snapshot, so a new part (e.g. a database-outage flag on EngineStatus) is one more entry
 * in HEALTH_CHECKS.
 */
import type { EngineStatus } from '../engine/facade.ts';

/** starting: restoring positions; running; stopping: shutting down */
export type EnginePhase = 'starting' | 'running' | 'stopping';

export interface HealthInput {
  phase: EnginePhase;
  status: EngineStatus;
  /** ms since epoch */
  now: number;
  /** the engine's signal sweep interval, seconds: a cycle older than about twice that means intake stalled */
  signalSweepSeconds: number;
}

export interface CheckResult {
  ok: boolean;
  /** one line for a person reading the answer */
  detail: string;
}

export type HealthCheck = (input: HealthInput) => CheckResult;

export const engineCheck: HealthCheck = ({ phase, status, now, signalSweepSeconds }) => {
  if (phase === 'starting') return { ok: false, detail: 'starting: restoring and reconciling positions' };
  if (phase === 'stopping') return { ok: false, detail: 'stopping' };
  if (status.pausedGlobally) return { ok: true, detail: 'running; new entries paused for everyone by an admin' };
  // the sweep runs every signalSweepSeconds (and every pushed signal counts as a cycle)
  const limitMs = (2 * signalSweepSeconds + 60) * 1000;
  if (status.lastCycle && now - status.lastCycle.at.getTime() > limitMs) {
    return { ok: false, detail: `signal intake stalled: the last signal cycle was ${Math.round((now - status.lastCycle.at.getTime()) / 1000)} s ago (sweep every ${signalSweepSeconds} s)` };
  }
  return { ok: true, detail: `running, ${status.openPositions} open position${status.openPositions === 1 ? '' : 's'}` };
};

export const databaseCheck: HealthCheck = ({ status }) => {
  const { database } = status;
  if (!database.available) {
    const since = database.downSince ? ` since ${database.downSince.toISOString()}` : '';
    return { ok: false, detail: `unavailable${since}; exits still reach the exchange (${database.exitsAwaitingRecord} awaiting record)` };
  }
  return status.databaseOk ? { ok: true, detail: 'answering' } : { ok: false, detail: 'not answering' };
};

export const marketDataCheck: HealthCheck = ({ status, now }) => {
  const problems: string[] = [];
  for (const feed of status.marketData) {
    if (feed.stale) {
      const age = feed.lastTickAt ? `no price for ${Math.round((now - feed.lastTickAt.getTime()) / 1000)} s` : 'no price yet';
      problems.push(`${feed.exchange} feed stale (${age})`);
    } else if (feed.staleSymbols.length > 0) {
      problems.push(`${feed.exchange} stream quiet for ${feed.staleSymbols.join(', ')} (re-polled over REST)`);
    }
  }
  if (problems.length > 0) return { ok: false, detail: problems.join('; ') };
  const symbols = status.marketData.reduce((n, f) => n + f.symbols, 0);
  return { ok: true, detail: status.marketData.length === 0 ? 'no feed in use (no open position)' : `${status.marketData.length} feed(s), ${symbols} symbol(s) fresh` };
};

/** name → check; the order is the order of the answer */
export const HEALTH_CHECKS: ReadonlyArray<readonly [string, HealthCheck]> = [
  ['engine', engineCheck],
  ['database', databaseCheck],
  ['marketData', marketDataCheck],
];

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  checks: Record<string, CheckResult>;
  /** "marketData: binance:spot feed stale (no price for 95 s)", one per failing check */
  problems: string[];
}

export function evaluateHealth(input: HealthInput, checks: ReadonlyArray<readonly [string, HealthCheck]> = HEALTH_CHECKS): HealthReport {
  const results: Record<string, CheckResult> = {};
  const problems: string[] = [];
  for (const [name, check] of checks) {
    const r = check(input);
    results[name] = r;
    if (!r.ok) problems.push(`${name}: ${r.detail}`);
  }
  return { status: problems.length === 0 ? 'ok' : 'unhealthy', checks: results, problems };
}

/** When the engine's status itself fails or does not answer in time (a hung database, most likely). */
export function noStatusReport(phase: EnginePhase, timeoutMs: number, failed = false): HealthReport {
  const detail = failed ? "the engine's status failed (the database may be unreachable)" : `the engine's status did not answer within ${timeoutMs} ms (the database may be unreachable)`;
  return {
    status: 'unhealthy',
    checks: { engine: { ok: phase === 'running', detail: phase }, database: { ok: false, detail } },
    problems: [...(phase === 'running' ? [] : [`engine: ${phase}`]), `database: ${detail}`],
  };
}
