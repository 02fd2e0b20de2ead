/** SPEC §9: a signal's targets on its position, and /signal's words. */
import { describe, expect, it } from 'vitest';
import { levelsFromPrices, planTargets } from '../../src/domain/target-levels.ts';
import { parseSignalCommand } from '../../src/domain/manual-signal.ts';
import { evaluate, openPosition } from '../../src/domain/monitor/index.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../../src/domain/settings.ts';
import { withTargets } from '../../src/engine/open-position.ts';

describe('targets → partial levels', () => {
  it('up to three targets before the last split the position evenly; the last is the take profit', () => {
    expect(planTargets([])).toEqual({ partials: [], takeProfit: null, unused: [] });
    expect(planTargets([105])).toEqual({ partials: [], takeProfit: 105, unused: [] });
    expect(planTargets([101, 102, 103])).toEqual({ partials: [{ price: 101, fraction: 1 / 3 }, { price: 102, fraction: 1 / 2 }], takeProfit: 103, unused: [] });
    expect(planTargets([101, 102, 103, 104, 105, 106])).toEqual({
      partials: [{ price: 101, fraction: 1 / 4 }, { price: 102, fraction: 1 / 3 }, { price: 103, fraction: 1 / 2 }],
      takeProfit: 106,
      unused: [104, 105],
    });
  });

  it('each partial level sells the same share of the first quantity, and the take profit the last share', () => {
    const { partials } = planTargets([1, 2, 3, 4]);
    let qty = 1;
    const sold = partials.map((p) => {
      const s = qty * p.fraction;
      qty -= s;
      return s;
    });
    for (const s of [...sold, qty]) expect(s).toBeCloseTo(0.25, 12);
  });

  it('a short position fills its partial levels at the targets, from its own entry (continuous ticks)', () => {
    const settings = withTargets(DEFAULT_MONITOR_SETTINGS, 'short', 3012.5, [2990, 2940, 2880, 2800], 2800);
    expect(settings.targetPrices).toEqual([{ price: 2990, fraction: 1 / 4 }, { price: 2940, fraction: 1 / 3 }, { price: 2880, fraction: 1 / 2 }]);
    expect(settings.partialTpLevels).toEqual(levelsFromPrices('short', 3012.5, settings.targetPrices!));
    let state = openPosition({ side: 'short', entry: 3012.5, qty: 4, stopLoss: 3150, takeProfit: 2800, openedAt: 0, mode: 'futures', leverage: 5 }, settings);
    const fills: Array<[number, number]> = [];
    for (const [t, p] of [[1, 3000], [2, 2930], [3, 2879], [4, 2799]] as const) {
      const r = evaluate(state, { time: t * 1000, price: p, continuous: true }, { ...settings, trailingEnabled: false });
      for (const a of r.actions) if (a.type === 'partial' || a.type === 'close_all') fills.push([a.price, a.qty]);
      state = r.next;
    }
    expect(fills.map(([p]) => p)).toEqual([2990, 2940, 2880, 2800]);
    for (const [, q] of fills) expect(q).toBeCloseTo(1, 9);
  });

  it('targets out of order for the side, or a ladder not ending at the position’s take profit, leave the trader’s levels', () => {
    expect(withTargets(DEFAULT_MONITOR_SETTINGS, 'long', 100, [103, 101, 105], 105)).toBe(DEFAULT_MONITOR_SETTINGS);
    expect(withTargets(DEFAULT_MONITOR_SETTINGS, 'long', 100, [101, 105], 110)).toBe(DEFAULT_MONITOR_SETTINGS);
    expect(withTargets(DEFAULT_MONITOR_SETTINGS, 'long', 100, [105], 105)).toBe(DEFAULT_MONITOR_SETTINGS);
  });
});

describe('/signal words', () => {
  it('reads the pair, the side, the stop and the targets', () => {
    expect(parseSignalCommand('BTC/USDT buy sl 62000 tp 70000 66000 68000')).toEqual({
      ok: true,
      draft: { symbol: 'BTC/USDT', side: 'long', entry: null, targets: [66000, 68000, 70000], stopLoss: 62000, leverage: null, missing: [], notes: [] },
    });
    expect(parseSignalCommand('ethusdt SELL')).toMatchObject({ ok: true, draft: { symbol: 'ETH/USDT', side: 'short', missing: ['no stop loss given: your settings set it', 'no take profit given: your settings set it'] } });
  });

  it('names what is wrong', () => {
    expect(parseSignalCommand('')).toMatchObject({ ok: false, error: expect.stringMatching(/^Usage: \/signal/) });
    expect(parseSignalCommand('BTC/USDT hold')).toMatchObject({ ok: false, error: expect.stringContaining('"hold" is not buy or sell') });
    expect(parseSignalCommand('hello buy')).toMatchObject({ ok: false, error: expect.stringContaining('"hello" is not a pair') });
    expect(parseSignalCommand('BTC/USDT buy 62000')).toMatchObject({ ok: false, error: expect.stringContaining('say what it is first, sl 62000 or tp 62000') });
    expect(parseSignalCommand('BTC/USDT buy sl abc')).toMatchObject({ ok: false, error: expect.stringContaining('"abc" is not a price') });
    expect(parseSignalCommand('BTC/USDT sell sl 57000 tp 58000')).toEqual({ ok: false, error: "the stop 57000 is not above target 58000: a short's stop must be above its targets" });
    expect(parseSignalCommand('BTC/USDT buy sl 65000 tp 64000')).toEqual({ ok: false, error: "the stop 65000 is not below target 64000: a long's stop must be below its targets" });
  });
});
