/**
 * The council (SPEC §9) on a real week of BTC/USDT (test/fixtures, Binance 1 m candles resampled
 * to hours as the engine does), and its tally rules on hand-made votes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCandlesCsv } from '../../src/domain/csv.ts';
import { regimeSeries, regimeWindow } from '../../src/domain/volatility.ts';
import { COUNCIL_MIN_CANDLES, convene, councilOverCandles, tally, worthStoring, type Vote } from '../../src/domain/council/index.ts';
import type { Candle } from '../../src/domain/types.ts';

const parsed = parseCandlesCsv(readFileSync(new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url), 'utf8'), 'btc.csv');
if (!parsed.ok) throw parsed.error;
const minutes: Candle[] = parsed.value;
const hourly = regimeSeries(minutes);
const at = (iso: string) => regimeWindow(hourly, Date.parse(iso));

const vote = (action: Vote['action'], confidence: number): Vote => ({ member: 'm', action, confidence, reason: '' });

describe('council verdicts on BTC/USDT, February 2021', () => {
  it('20th 11:00, after the climb to 56 k: trend and regime say BUY, momentum and mean reversion hold → BUY 0.545', () => {
    const v = convene(at('2021-02-20T11:00:00Z'));
    expect(v.votes.map((x) => `${x.member} ${x.action} ${x.confidence}`)).toEqual(['trend BUY 0.67', 'momentum HOLD 0.5', 'mean reversion HOLD 0.81', 'regime BUY 0.9']);
    expect(v).toMatchObject({ action: 'BUY', confidence: 0.545 });
    expect(v.reasoning.split('\n')).toEqual([
      'trend BUY 0.67: EMA12 above EMA26 by 1.07 ATR',
      'momentum HOLD 0.50: RSI 66.7, MACD histogram -178.43: no momentum',
      'mean reversion HOLD 0.81: close at %b 0.69 of the Bollinger Bands (20, 2σ): inside',
      'regime BUY 0.90: trending: ADX 48.7, ATR7/ATR28 0.99, +DI 25.0 > −DI 11.9',
    ]);
  });

  it('23rd 14:00, in the fall to 45 k: three members say SELL → SELL 0.729', () => {
    const v = convene(at('2021-02-23T14:00:00Z'));
    expect(v.votes.map((x) => x.action)).toEqual(['SELL', 'SELL', 'HOLD', 'SELL']);
    expect(v).toMatchObject({ action: 'SELL', confidence: 0.729 });
  });

  it('22nd 16:00, volatile: the regime member stands aside with 0.80, which weighs on the SELL', () => {
    const v = convene(at('2021-02-22T16:00:00Z'));
    expect(v.votes[3]).toMatchObject({ member: 'regime', action: 'HOLD', confidence: 0.8 });
    expect(v).toMatchObject({ action: 'SELL', confidence: 0.474 });
  });

  it('with fewer closed candles than it needs, every member holds and says how many it has', () => {
    const v = convene(hourly.slice(0, COUNCIL_MIN_CANDLES - 1));
    expect(v.action).toBe('HOLD');
    expect(v.confidence).toBe(0);
    expect(v.votes.every((x) => x.reason === `needs 35 closed candles, has ${COUNCIL_MIN_CANDLES - 1}`)).toBe(true);
  });

  it('members read only closed candles: the window at 11:00 on the 20th holds the 35 hours since the data began, the 10:00 hour last', () => {
    const w = at('2021-02-20T11:00:00Z');
    expect(w).toHaveLength(35);
    expect(at('2021-02-22T11:00:00Z')).toHaveLength(60);
    expect(w[w.length - 1]!.time).toBe(Date.parse('2021-02-20T10:00:00Z'));
  });
});

describe('tally', () => {
  it('majority: at least half the members and more than the other side; else HOLD', () => {
    expect(tally([vote('BUY', 0.6), vote('BUY', 0.8), vote('HOLD', 0.5), vote('HOLD', 0.1)])).toEqual({ action: 'BUY', confidence: 0.7 });
    expect(tally([vote('BUY', 0.6), vote('BUY', 0.8), vote('SELL', 0.9), vote('SELL', 0.1)]).action).toBe('HOLD');
    expect(tally([vote('SELL', 0.9), vote('HOLD', 0.5), vote('HOLD', 0.5), vote('BUY', 0.1)]).action).toBe('HOLD');
    // weighted agreement: the winners' confidence over everyone's, 1.2 / 2.1
    expect(tally([vote('SELL', 0.6), vote('SELL', 0.6), vote('BUY', 0.5), vote('HOLD', 0.4)])).toEqual({ action: 'SELL', confidence: 0.571 });
  });

  it('a HOLD after a HOLD is not stored; every BUY and SELL is', () => {
    expect(worthStoring('HOLD', 'HOLD')).toBe(false);
    expect(worthStoring(null, 'HOLD')).toBe(true);
    expect(worthStoring('BUY', 'BUY')).toBe(true);
    expect(worthStoring('BUY', 'HOLD')).toBe(true);
  });
});

describe('the council over the recorded week (what npm run council writes)', () => {
  it('every 15 min on the closed hours, no look-ahead: 296 rows, 100 BUY, 188 SELL, 8 HOLD', () => {
    const rows = councilOverCandles(minutes, 15);
    const count = (a: string) => rows.filter((r) => r.verdict.action === a).length;
    expect([rows.length, count('BUY'), count('SELL'), count('HOLD')]).toEqual([296, 100, 188, 8]);
    // the first run with a closed hour: too few candles, a HOLD
    expect(rows[0]).toMatchObject({ createdAt: Date.parse('2021-02-19T01:00:00Z'), verdict: { action: 'HOLD' } });
    const firstBuy = rows.find((r) => r.verdict.action === 'BUY')!;
    expect(new Date(firstBuy.createdAt).toISOString()).toBe('2021-02-20T11:00:00.000Z');
    // each row equals the council on the window it could see then
    for (const r of rows.filter((_, i) => i % 37 === 0)) expect(r.verdict).toEqual(convene(regimeWindow(hourly, r.createdAt)));
  });
});
