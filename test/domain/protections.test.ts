import { describe, expect, it } from 'vitest';
import { accountProtections, activeProtections, drawdownOf, locksOnPair, protectionLookbackMs, type ExitFact, type ProtectionSettings } from '../../src/domain/protections.ts';
import { DEFAULT_SETTINGS, parseSettings, toProtectionSettings } from '../../src/domain/settings.ts';

const T = Date.UTC(2026, 0, 7, 12, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const off: ProtectionSettings = {
  stoplossGuard: { enabled: false, trades: 3, windowMinutes: 60, cooldownMinutes: 60, perPair: false },
  maxDrawdown: { enabled: false, maxDrawdownPct: 10, windowHours: 24, cooldownHours: 12 },
  cooldown: { enabled: false, cooldownMinutes: 0 },
};
const exit = (symbol: string, minutes: number, pnl: number, reason: string): ExitFact => ({ symbol, closedAt: T + minutes * MIN, pnl, reason });

describe('stop-loss guard', () => {
  const guard = (perPair = false): ProtectionSettings => ({ ...off, stoplossGuard: { ...off.stoplossGuard, enabled: true, perPair } });
  const stops = [exit('BTC/USDT', 0, -20, 'stop_loss'), exit('ETH/USDT', 20, -15, 'exchange_stop'), exit('BTC/USDT:USDT', 50, -12, 'trailing_stop')];

  it('3 stop losses within 60 min lock every pair for 60 min after the third', () => {
    const [lock] = activeProtections({ now: T + 55 * MIN, symbol: 'SOL/USDT', exits: stops, equity: 10_000, settings: guard() });
    expect(lock).toMatchObject({ protection: 'stoploss_guard', scope: 'all', from: T + 50 * MIN, until: T + 110 * MIN });
    expect(lock!.reason).toBe('protection stop-loss guard: 3 stop losses within 60 min (the last at 2026-01-07 12:50 UTC); no new entries on any pair until 2026-01-07 13:50 UTC');
    expect(activeProtections({ now: T + 110 * MIN, symbol: 'SOL/USDT', exits: stops, equity: 10_000, settings: guard() })).toEqual([]);
  });

  it('stop losses 61 min apart never make three in a window; a winning trailing stop is no stop loss', () => {
    const spread = [exit('BTC/USDT', 0, -20, 'stop_loss'), exit('BTC/USDT', 40, -20, 'stop_loss'), exit('BTC/USDT', 61, -20, 'stop_loss')];
    expect(activeProtections({ now: T + 62 * MIN, symbol: 'BTC/USDT', exits: spread, equity: 10_000, settings: guard() })).toEqual([]);
    const won = [...stops.slice(0, 2), exit('BTC/USDT', 50, +30, 'trailing_stop')];
    expect(activeProtections({ now: T + 55 * MIN, symbol: 'BTC/USDT', exits: won, equity: 10_000, settings: guard() })).toEqual([]);
  });

  it('per pair: only the pair with 3 stop losses is locked (futures and spot symbols are one pair)', () => {
    const btc = [exit('BTC/USDT', 0, -1, 'stop_loss'), exit('BTC/USDT:USDT', 10, -1, 'stop_loss'), exit('BTC/USDT', 20, -1, 'stop_loss'), exit('ETH/USDT', 21, -1, 'stop_loss')];
    expect(activeProtections({ now: T + 30 * MIN, symbol: 'ETH/USDT', exits: btc, equity: 10_000, settings: guard(true) })).toEqual([]);
    const [lock] = activeProtections({ now: T + 30 * MIN, symbol: 'BTC/USDT:USDT', exits: btc, equity: 10_000, settings: guard(true) });
    expect(lock).toMatchObject({ scope: 'BTC/USDT', until: T + 80 * MIN });
    expect(lock!.reason).toContain('no new entries on BTC/USDT until 2026-01-07 13:20 UTC');
  });
});

describe('max drawdown', () => {
  const dd: ProtectionSettings = { ...off, maxDrawdown: { enabled: true, maxDrawdownPct: 10, windowHours: 24, cooldownHours: 12 } };

  it('equity 10 000 → 11 000 → 9 800 is a 10.91 % drawdown from the peak: entries pause 12 h from the trough', () => {
    // equity now 9 800; the curve starts at 9 800 − (1000 − 700 − 500) = 10 000
    const exits = [exit('BTC/USDT', 0, 1000, 'take_profit'), exit('ETH/USDT', 60, -700, 'stop_loss'), exit('BTC/USDT', 120, -500, 'stop_loss')];
    expect(drawdownOf(exits, 9_800)).toEqual({ pct: (1200 / 11_000) * 100, at: T + 120 * MIN });
    const [lock] = activeProtections({ now: T + 3 * HOUR, symbol: 'SOL/USDT', exits, equity: 9_800, settings: dd });
    expect(lock).toMatchObject({ protection: 'max_drawdown', scope: 'all', until: T + 14 * HOUR });
    expect(lock!.reason).toBe('protection max drawdown: closed trades of the last 24 h fell 10.91 % from their peak (limit 10 %, at 2026-01-07 14:00 UTC); no new entries until 2026-01-08 02:00 UTC');
  });

  it('a 9.1 % fall does not lock; the trades outside the 24 h window do not count', () => {
    const exits = [exit('BTC/USDT', 0, 1000, 'take_profit'), exit('BTC/USDT', 60, -1000, 'stop_loss')];
    expect(activeProtections({ now: T + 2 * HOUR, symbol: 'BTC/USDT', exits, equity: 10_000, settings: dd })).toEqual([]);
    const old = [exit('BTC/USDT', -25 * 60, -3000, 'stop_loss')];
    expect(activeProtections({ now: T, symbol: 'BTC/USDT', exits: old, equity: 7_000, settings: dd })).toEqual([]);
  });
});

describe('cooldown after an exit', () => {
  const cd: ProtectionSettings = { ...off, cooldown: { enabled: true, cooldownMinutes: 30 } };

  it('locks the pair for 30 min after its position closed; other pairs, reversals and partial exits do not count', () => {
    const exits = [exit('BTC/USDT', 0, 12, 'take_profit'), exit('ETH/USDT', 10, 5, 'signal_reverse'), exit('ETH/USDT', 12, 2, 'partial_tp')];
    const [lock] = activeProtections({ now: T + 29 * MIN, symbol: 'BTC/USDT', exits, equity: 10_000, settings: cd });
    expect(lock).toMatchObject({ protection: 'cooldown', scope: 'BTC/USDT', until: T + 30 * MIN });
    expect(lock!.reason).toBe('protection cooldown: a BTC/USDT position closed at 2026-01-07 12:00 UTC; no new BTC/USDT entry for 30 min, until 2026-01-07 12:30 UTC');
    expect(activeProtections({ now: T + 30 * MIN, symbol: 'BTC/USDT', exits, equity: 10_000, settings: cd })).toEqual([]);
    expect(activeProtections({ now: T + 15 * MIN, symbol: 'ETH/USDT', exits, equity: 10_000, settings: cd })).toEqual([]);
  });
});

describe('protection settings', () => {
  it('defaults: the drawdown guard on (10 % within 24 h, 12 h pause), the others off', () => {
    const p = toProtectionSettings(DEFAULT_SETTINGS);
    expect(p.maxDrawdown).toEqual({ enabled: true, maxDrawdownPct: 10, windowHours: 24, cooldownHours: 12 });
    expect(p.stoplossGuard.enabled).toBe(false);
    expect(p.cooldown.enabled).toBe(false);
    expect(protectionLookbackMs(p)).toBe(24 * HOUR);
  });

  it('the settings JSON takes them, and names a bad one', () => {
    const r = parseSettings({ stoploss_guard_enabled: true, stoploss_guard_trades: 2, exit_cooldown_minutes: 45 });
    expect(r.ok && toProtectionSettings(r.value)).toMatchObject({ stoplossGuard: { enabled: true, trades: 2 }, cooldown: { enabled: true, cooldownMinutes: 45 } });
    const bad = parseSettings({ max_drawdown_pct: 0 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error[0]).toMatch(/^max_drawdown_pct: /);
  });
});

describe('every lock on an account (what /status shows)', () => {
  const all: ProtectionSettings = {
    stoplossGuard: { enabled: true, trades: 2, windowMinutes: 60, cooldownMinutes: 60, perPair: true },
    maxDrawdown: { enabled: true, maxDrawdownPct: 10, windowHours: 24, cooldownHours: 12 },
    cooldown: { enabled: true, cooldownMinutes: 30 },
  };
  const exits = [exit('BTC/USDT', 0, -800, 'stop_loss'), exit('BTC/USDT:USDT', 10, -700, 'stop_loss'), exit('ETH/USDT', 20, 50, 'take_profit')];

  it('the account-wide locks once and the per-pair ones of each traded pair; an entry on a pair meets exactly the locks activeProtections finds', () => {
    const now = T + 25 * MIN;
    const locks = accountProtections({ now, exits, equity: 10_000, settings: all });
    expect(locks.map((l) => `${l.protection} ${l.scope}`).sort()).toEqual(['cooldown BTC/USDT', 'cooldown ETH/USDT', 'max_drawdown all', 'stoploss_guard BTC/USDT']);
    expect(locks.find((l) => l.protection === 'max_drawdown')!.detail).toBe('closed trades of the last 24 h fell 13.10 % from their peak (limit 10 %, at 2026-01-07 12:10 UTC)');
    for (const symbol of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) {
      expect(locksOnPair(locks, symbol)).toEqual(activeProtections({ now, symbol, exits, equity: 10_000, settings: all }));
    }
  });
});
