/** /healthz decisions: each part named when it is not healthy (pure, from one engine status). */
import { describe, expect, it } from 'vitest';
import { evaluateHealth, noStatusReport, type HealthInput } from '../../src/http/health.ts';
import type { EngineStatus } from '../../src/engine/facade.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const status = (over: Partial<EngineStatus> = {}): EngineStatus => ({
  startedAt: new Date(NOW - 3_600_000),
  traders: 3,
  pausedTraders: 0,
  openPositions: 2,
  pausedGlobally: false,
  lastCycle: { at: new Date(NOW - 60_000), signals: 1, executed: 1, rejected: 0 },
  marketData: [{ exchange: 'binance:spot', stale: false, lastTickAt: new Date(NOW - 1_000), symbols: 2, staleSymbols: [] }],
  databaseOk: true,
  database: { available: true, downSince: null, exitsAwaitingRecord: 0 },
  outboxDepth: 0,
  concentration: { threshold: 0.7, traders: [] },
  ...over,
});
const input = (over: Partial<HealthInput> = {}): HealthInput => ({ phase: 'running', status: status(), now: NOW, signalSweepSeconds: 300, ...over });

describe('evaluateHealth', () => {
  it('names a database outage the engine rides out, with the exits still to be recorded', () => {
    const r = evaluateHealth(input({ status: status({ databaseOk: false, database: { available: false, downSince: new Date(NOW - 30_000), exitsAwaitingRecord: 2 } }) }));
    expect(r.status).toBe('unhealthy');
    expect(r.checks['database']).toEqual({ ok: false, detail: 'unavailable since 2026-12-01T11:59:30.000Z; exits still reach the exchange (2 awaiting record)' });
  });

  it('is ok when the engine runs, the database answers and every feed is fresh', () => {
    const r = evaluateHealth(input());
    expect(r.status).toBe('ok');
    expect(r.problems).toEqual([]);
    expect(r.checks['engine']).toEqual({ ok: true, detail: 'running, 2 open positions' });
    expect(r.checks['marketData']).toEqual({ ok: true, detail: '1 feed(s), 2 symbol(s) fresh' });
  });

  it.each([
    ['the engine is starting', input({ phase: 'starting' }), 'engine: starting: restoring and reconciling positions'],
    ['the engine is stopping', input({ phase: 'stopping' }), 'engine: stopping'],
    ['signal intake stalled', input({ status: status({ lastCycle: { at: new Date(NOW - 1_000_000), signals: 0, executed: 0, rejected: 0 } }) }), 'engine: signal intake stalled: the last signal cycle was 1000 s ago (sweep every 300 s)'],
    ['the database does not answer', input({ status: status({ databaseOk: false }) }), 'database: not answering'],
    [
      'a feed is stale',
      input({ status: status({ marketData: [{ exchange: 'binance:spot', stale: true, lastTickAt: new Date(NOW - 95_000), symbols: 2, staleSymbols: [] }] }) }),
      'marketData: binance:spot feed stale (no price for 95 s)',
    ],
    [
      'a symbol went quiet',
      input({ status: status({ marketData: [{ exchange: 'kraken:spot', stale: false, lastTickAt: new Date(NOW), symbols: 3, staleSymbols: ['SOL/USDT'] }] }) }),
      'marketData: kraken:spot stream quiet for SOL/USDT (re-polled over REST)',
    ],
  ])('is unhealthy when %s, and names it', (_name, given, problem) => {
    const r = evaluateHealth(given);
    expect(r.status).toBe('unhealthy');
    expect(r.problems).toEqual([problem]);
  });

  it('names every failing part at once', () => {
    const r = evaluateHealth(input({ phase: 'starting', status: status({ databaseOk: false }) }));
    expect(r.problems.map((p) => p.split(':')[0])).toEqual(['engine', 'database']);
  });

  it('a status that does not answer names the database', () => {
    expect(noStatusReport('running', 2000).problems).toEqual(["database: the engine's status did not answer within 2000 ms (the database may be unreachable)"]);
  });
});
