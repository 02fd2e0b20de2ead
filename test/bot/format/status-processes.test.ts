/** /status with several processes on one PostgreSQL (SPEC §12): each process, its shards and heartbeat. */
import { describe, expect, it } from 'vitest';
import { formatStatus, shardRanges } from '../../../src/bot/features/admin.ts';
import type { EngineStatus } from '../../../src/engine/facade.ts';

const NOW = new Date(Date.UTC(2026, 0, 7, 12, 40));
const base: EngineStatus = {
  startedAt: new Date(Date.UTC(2026, 0, 7, 12, 0)),
  traders: 2,
  pausedTraders: 0,
  openPositions: 5,
  pausedGlobally: false,
  lastCycle: null,
  marketData: [],
  databaseOk: true,
  database: { available: true, downSince: null, exitsAwaitingRecord: 0 },
  outboxDepth: 0,
  concentration: { threshold: 0.7, traders: [] },
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('/status: processes and their shards', () => {
  it('lists every live process with its shards as ranges, the once-per-bot jobs it runs, its heartbeat and uptime, marking the one that answers', () => {
    const text = formatStatus(
      {
        ...base,
        processes: [
          { id: 'h1:10:a', host: 'h1', pid: 10, startedAt: new Date(Date.UTC(2026, 0, 7, 11, 40)), heartbeatAt: new Date(NOW.getTime() - 1_000), shards: range(0, 32), self: true },
          { id: 'h2:20:b', host: 'h2', pid: 20, startedAt: new Date(Date.UTC(2026, 0, 7, 12, 30)), heartbeatAt: new Date(NOW.getTime() - 2_000), shards: [...range(32, 40), 50, ...range(52, 64)], self: false },
        ],
      },
      0,
      NOW,
    );
    expect(text).toContain('Open positions: 5 (this process)');
    expect(text).toContain('Processes: 2 sharing 53 of 64 shards');
    expect(text).toContain('  h1 pid 10 (this one): 32 shards (0–31), runs Telegram and alerts, signal sweep, council, heartbeat 1 s ago, up 1 h');
    expect(text).toContain('  h2 pid 20: 21 shards (32–39, 50, 52–63), heartbeat 2 s ago, up 10 min');
  });

  it('says nothing of processes with one process on its own database', () => {
    expect(formatStatus(base, 0, NOW)).not.toContain('Processes');
    expect(shardRanges([])).toBe('');
  });
});
