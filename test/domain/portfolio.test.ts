import { describe, expect, it } from 'vitest';
import { analyzeTrade, baseAsset, DEFAULT_PORTFOLIO_LIMITS, herfindahl } from '../../src/domain/portfolio.ts';

// equity 10 000: 5 000 USDT, 2 000 BTC, 1 500 ETH, 1 000 UNI, 500 DOGE
const book = [
  { asset: 'USDT', value: 5_000 },
  { asset: 'BTC', value: 2_000 },
  { asset: 'ETH', value: 1_500 },
  { asset: 'UNI', value: 1_000 },
  { asset: 'DOGE', value: 500 },
];

describe('analyzeTrade (SPEC §5)', () => {
  it.each([
    ['a small BTC buy fits', 'BTC', 300, true, 1],
    ['BTC 2 000 + 1 000 > 25 % → shrunk to 500', 'BTC', 1_000, true, 0.5],
    ['L1 3 500 + 1 000 > 40 % → shrunk to 500', 'SOL', 1_000, true, 0.5],
    ['meme 500 + 1 000 > 10 % → shrunk to 500', 'PEPE', 1_000, true, 0.5],
    ['DeFi 1 000 + 2 000 ≤ 50 % but single asset caps AAVE at 2 500 → fits', 'AAVE', 2_000, true, 1],
    ['DOGE already at the 10 % meme limit … plus 500 → shrunk to 500', 'DOGE', 600, true, 500 / 600],
  ])('%s', (_n, asset, value, execute, mult) => {
    const d = analyzeTrade(book, { asset, value, kind: 'open' });
    expect(d.execute).toBe(execute);
    expect(d.sizeMultiplier).toBeCloseTo(mult, 12);
    if (mult < 1) expect(d.reasons.some((r) => r.startsWith('shrunk to'))).toBe(true);
  });

  it('refuses when what fits is under 5 % of the request: meme 1 050 of 10 550, room 5 for a 200 buy', () => {
    const d = analyzeTrade([...book, { asset: 'SHIB', value: 550 }], { asset: 'PEPE', value: 200, kind: 'open' });
    expect(d.execute).toBe(false);
    expect(d.sizeMultiplier).toBe(0);
    expect(d.reasons[0]).toMatch(/meme would exceed 10 %/);
  });

  it('keeps a 10 % stablecoin reserve', () => {
    const thin = [{ asset: 'USDT', value: 1_200 }, { asset: 'BTC', value: 2_000 }, { asset: 'ETH', value: 2_000 }, { asset: 'X', value: 2_000 }, { asset: 'Y', value: 2_800 }];
    const d = analyzeTrade(thin, { asset: 'LINK', value: 1_000, kind: 'open' });
    expect(d.sizeMultiplier).toBeCloseTo(0.2, 12); // 1 200 − 1 000 reserve = 200
    expect(d.reasons[0]).toMatch(/stablecoin reserve/);
  });

  it('warns on concentration (Herfindahl ≥ 0.7) without blocking', () => {
    const d = analyzeTrade([{ asset: 'USDT', value: 100_000 }, { asset: 'BTC', value: 10_000 }], { asset: 'BTC', value: 1_000, kind: 'open' });
    expect(d.execute).toBe(true);
    expect(d.herfindahl).toBe(1);
    expect(d.reasons).toContain('concentration warning: Herfindahl index 1.00 ≥ 0.7');
    expect(d.concentration).toBe(1);
  });

  it('carries no concentration when the holdings are spread: Herfindahl 0.30 after a 300 BTC buy', () => {
    const d = analyzeTrade(book, { asset: 'BTC', value: 300, kind: 'open' });
    expect(d.herfindahl).toBeCloseTo((2_300 ** 2 + 1_500 ** 2 + 1_000 ** 2 + 500 ** 2) / 5_300 ** 2, 12);
    expect(d.concentration).toBeNull();
    expect(d.reasons).toEqual([]);
  });

  it('reducing a holding always passes', () => {
    expect(analyzeTrade(book, { asset: 'DOGE', value: 5_000, kind: 'reduce' })).toMatchObject({ execute: true, sizeMultiplier: 1 });
  });

  it('Herfindahl of four equal non-stable holdings is 0.25; base asset parsing', () => {
    expect(herfindahl([{ asset: 'A', value: 1 }, { asset: 'B', value: 1 }, { asset: 'C', value: 1 }, { asset: 'D', value: 1 }, { asset: 'USDC', value: 9 }])).toBeCloseTo(0.25, 12);
    expect(baseAsset('btc/USDT:USDT')).toBe('BTC');
  });
});

describe('L1 leveraged exposure ≤ 400 % of equity (seed max_l1_exposure_pct)', () => {
  // equity 10 000: 7 000 USDT, a BTC future with 2 000 margin at 18× (36 000 notional), 1 000 ETH spot
  const leveraged = [
    { asset: 'USDT', value: 7_000 },
    { asset: 'BTC', value: 2_000, exposure: 36_000 },
    { asset: 'ETH', value: 1_000 },
  ];

  it.each([
    ['SOL 10× (500 margin, 5 000 notional) with 3 000 of room → shrunk to 60 %', leveraged, 'SOL', 500, 5_000, true, 0.6],
    ['SOL 2× (500 margin, 1 000 notional) fits the 3 000 of room', leveraged, 'SOL', 500, 1_000, true, 1],
    ['UNI 10× is DeFi: the L1 limit does not apply', leveraged, 'UNI', 500, 5_000, true, 1],
    ['a spot L1 book never reaches 400 % before the 40 % category limit', book, 'SOL', 400, 400, true, 1],
  ])('%s', (_n, holdings, asset, value, exposure, execute, mult) => {
    const d = analyzeTrade(holdings, { asset, value, exposure, kind: 'open' });
    expect(d.execute).toBe(execute);
    expect(d.sizeMultiplier).toBeCloseTo(mult, 12);
    if (mult < 1) expect(d.reasons).toEqual(['L1 exposure would exceed 400 % of equity (holds 370.0 %)', 'shrunk to 60.0 % of the requested size']);
  });

  it('refuses an L1 trade when the L1 exposure is already at 400 %: BTC 2 000 margin at 20×', () => {
    const full = [{ asset: 'USDT', value: 8_000 }, { asset: 'BTC', value: 2_000, exposure: 40_000 }];
    const d = analyzeTrade(full, { asset: 'ETH', value: 300, exposure: 3_000, kind: 'open' });
    expect(d).toMatchObject({ execute: false, sizeMultiplier: 0, concentration: null });
    expect(d.reasons).toEqual(['L1 exposure would exceed 400 % of equity (holds 400.0 %)', 'refused: the trade does not fit the portfolio limits']);
  });

  it('the limit is a setting: at 300 % the same SOL trade is refused', () => {
    const d = analyzeTrade(leveraged, { asset: 'SOL', value: 500, exposure: 5_000, kind: 'open' }, { ...DEFAULT_PORTFOLIO_LIMITS, maxL1ExposurePct: 300 });
    expect(d.execute).toBe(false);
    expect(d.reasons[0]).toBe('L1 exposure would exceed 300 % of equity (holds 370.0 %)');
  });
});
