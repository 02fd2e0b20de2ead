/** /status shows the accounts a protection holds (until when) and the council's last run (SPEC §9). */
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/bot/features/admin.ts';
import type { EngineStatus } from '../../../src/engine/facade.ts';

const NOW = new Date(Date.UTC(2026, 0, 7, 12, 40));
const base: EngineStatus = {
  startedAt: new Date(Date.UTC(2026, 0, 7, 12, 0)),
  traders: 2,
  pausedTraders: 0,
  openPositions: 0,
  pausedGlobally: false,
  lastCycle: null,
  marketData: [],
  databaseOk: true,
  database: { available: true, downSince: null, exitsAwaitingRecord: 0 },
  outboxDepth: 0,
  concentration: { threshold: 0.7, traders: [] },
};

describe('/status: protections and the council', () => {
  it('names the trader, the protection, its scope and until when; the council per symbol', () => {
    const text = formatStatus(
      {
        ...base,
        protections: [{ userId: 'u-alice', accountId: 'a1', locks: [{ protection: 'stoploss_guard', scope: 'all', until: new Date(Date.UTC(2026, 0, 7, 13, 25)), reason: '…', detail: '3 stop losses within 60 min (the last at 2026-01-07 12:25 UTC)' }] }],
        council: {
          minutes: 15,
          symbols: ['BTC/USDT', 'ETH/USDT'],
          lastRun: { at: new Date(Date.UTC(2026, 0, 7, 12, 30)), results: [{ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.545, note: 'written' }, { symbol: 'ETH/USDT', action: null, confidence: null, note: 'skipped: a titan_v3 signal arrived within 15 min' }] },
        },
      },
      0,
      NOW,
      new Map([['u-alice', '7 @alice']]),
    );
    expect(text).toContain('🛡 Protections holding entries: 1 account');
    expect(text).toContain('  7 @alice: stoploss guard (every pair) until 2026-01-07 13:25 UTC: 3 stop losses within 60 min (the last at 2026-01-07 12:25 UTC)');
    expect(text).toContain('Council: every 15 min on BTC/USDT, ETH/USDT; last run 10 min ago: BTC/USDT BUY 0.55, ETH/USDT skipped: a titan_v3 signal arrived within 15 min');
  });

  it('says so when nothing holds entries and the council is off', () => {
    const text = formatStatus({ ...base, protections: [], council: null }, 0, NOW);
    expect(text).toContain('Protections: none holding entries');
    expect(text).toContain('Council: off');
  });
});
