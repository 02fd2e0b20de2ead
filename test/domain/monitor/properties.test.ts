import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, openPosition } from '../../../src/domain/monitor/index.ts';
import { DEFAULT_MONITOR_SETTINGS } from '../../../src/domain/settings.ts';
import type { PositionRecord } from '../../../src/db/repos/positions.ts';
import type { MonitorAction, MonitorSettings, PositionState, Tick } from '../../../src/domain/types.ts';

const T0 = Date.UTC(2025, 0, 1);

const settingsArb: fc.Arbitrary<MonitorSettings> = fc.record({
  trailingEnabled: fc.boolean(),
  trailingActivationPct: fc.double({ min: 0, max: 3, noNaN: true }),
  trailingDistancePct: fc.double({ min: 0.1, max: 5, noNaN: true }),
  partialTpEnabled: fc.boolean(),
  fractions: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 0, maxLength: 4 }),
  breakevenAfterFirstPartial: fc.boolean(),
  slTimeoutMs: fc.constantFrom(0, 30_000),
  trailingTpEnabled: fc.boolean(),
  trailingTpDeviationPct: fc.double({ min: 0.1, max: 3, noNaN: true }),
  maxHoldMs: fc.constantFrom(0, 3_600_000, 12 * 3_600_000),
  liquidationReduceFraction: fc.double({ min: 0, max: 1, noNaN: true }),
}).map(({ fractions, ...r }) => ({
  ...DEFAULT_MONITOR_SETTINGS,
  ...r,
  partialTpLevels: fractions.map((fraction, i) => ({ targetPct: i + 1, fraction })),
}));

const scenarioArb = fc.record({
  settings: settingsArb,
  side: fc.constantFrom('long' as const, 'short' as const),
  entry: fc.double({ min: 0.01, max: 100_000, noNaN: true }),
  slPct: fc.option(fc.double({ min: 0.2, max: 20, noNaN: true })),
  tpPct: fc.option(fc.double({ min: 0.2, max: 20, noNaN: true })),
  mode: fc.constantFrom('spot' as const, 'margin' as const, 'futures' as const),
  leverage: fc.integer({ min: 1, max: 20 }),
  steps: fc.array(
    fc.record({
      movePct: fc.double({ min: -4, max: 4, noNaN: true }),
      continuous: fc.boolean(),
      dtMs: fc.integer({ min: 0, max: 600_000 }),
      /** the trader may change the trailing distance while the position is open */
      distancePct: fc.double({ min: 0.1, max: 5, noNaN: true }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function start(sc: Scenario): PositionState {
  const dir = sc.side === 'long' ? 1 : -1;
  return openPosition(
    {
      side: sc.side,
      entry: sc.entry,
      qty: 1.5,
      stopLoss: sc.slPct === null ? null : sc.entry * (1 - (dir * sc.slPct) / 100),
      takeProfit: sc.tpPct === null ? null : sc.entry * (1 + (dir * sc.tpPct) / 100),
      openedAt: T0,
      mode: sc.mode,
      leverage: sc.leverage,
    },
    sc.settings,
  );
}

function* ticks(sc: Scenario): Generator<Tick> {
  let price = sc.entry;
  let time = T0;
  for (const s of sc.steps) {
    price = Math.max(1e-6, price * (1 + s.movePct / 100));
    time += s.dtMs;
    yield { time, price, continuous: s.continuous };
  }
}

const EPS = 1e-9;

describe('monitor invariants (fast-check)', () => {
  it('remaining quantity never goes negative or up, and sells never exceed the holding', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        let sold = 0;
        for (const tick of ticks(sc)) {
          const before = s.qty;
          const r = evaluate(s, tick, sc.settings);
          let soldNow = 0;
          for (const a of r.actions) {
            if (a.type === 'partial' || a.type === 'reduce' || a.type === 'close_all') {
              expect(a.qty).toBeGreaterThanOrEqual(0);
              expect(a.qty).toBeLessThanOrEqual(before - soldNow + EPS);
              soldNow += a.qty;
            }
          }
          s = r.next;
          sold += soldNow;
          expect(s.qty).toBeGreaterThanOrEqual(0);
          expect(s.qty).toBeLessThanOrEqual(before);
          expect(Math.abs(before - soldNow - s.qty)).toBeLessThan(EPS);
        }
        expect(sold + s.qty).toBeCloseTo(1.5, 9);
      }),
      { numRuns: 400 },
    );
  });

  it('a trailing stop never loosens (long: never falls, short: never rises), even when the distance setting changes', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        let i = 0;
        for (const tick of ticks(sc)) {
          const prev = s.trailingStop;
          const distance = sc.steps[i++]?.distancePct ?? 1;
          s = evaluate(s, tick, { ...sc.settings, trailingDistancePct: distance }).next;
          if (prev !== null) {
            expect(s.trailingStop).not.toBeNull();
            if (sc.side === 'long') expect(s.trailingStop as number).toBeGreaterThanOrEqual(prev);
            else expect(s.trailingStop as number).toBeLessThanOrEqual(prev);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a closed position yields no further action and stays closed with nothing left', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        let closedSeen = false;
        for (const tick of ticks(sc)) {
          const r = evaluate(s, tick, sc.settings);
          if (closedSeen) {
            expect(r.actions).toEqual([]);
            expect(r.next).toBe(s);
          }
          const closes = r.actions.filter((a) => a.type === 'close_all');
          expect(closes.length).toBeLessThanOrEqual(1);
          if (closes.length === 1) expect(r.actions.at(-1)?.type).toBe('close_all');
          s = r.next;
          if (s.closed) {
            closedSeen = true;
            expect(s.qty).toBe(0);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('evaluate never mutates its input and every fill price is positive and finite', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        for (const tick of ticks(sc)) {
          const snapshot = structuredClone(s);
          const r = evaluate(s, tick, sc.settings);
          expect(s).toEqual(snapshot);
          for (const a of r.actions) {
            if ('price' in a) expect(Number.isFinite(a.price) && a.price > 0).toBe(true);
          }
          s = r.next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('on a continuous move, level fills lie between the previous and the current price', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        for (const tick of ticks(sc)) {
          const prev = s.lastPrice ?? tick.price;
          const r = evaluate(s, tick, sc.settings);
          if (tick.continuous) {
            const lo = Math.min(prev, tick.price) * (1 - 1e-9);
            const hi = Math.max(prev, tick.price) * (1 + 1e-9);
            for (const a of r.actions) {
              if (a.type === 'partial' || a.type === 'reduce' || a.type === 'close_all') {
                expect(a.price).toBeGreaterThanOrEqual(lo);
                expect(a.price).toBeLessThanOrEqual(hi);
              }
            }
          }
          s = r.next;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('path order (fast-check)', () => {
  it('within one continuous tick, fills come in the order the price reaches them', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        let s = start(sc);
        for (const tick of ticks(sc)) {
          const prev = s.lastPrice ?? tick.price;
          const r = evaluate(s, tick, sc.settings);
          if (tick.continuous) {
            const fills = r.actions.filter((a) => a.type === 'partial' || a.type === 'reduce' || a.type === 'close_all').map((a) => a.price);
            const rising = tick.price >= prev;
            for (let i = 1; i < fills.length; i++) {
              const [a, b] = [fills[i - 1] as number, fills[i] as number];
              if (rising) expect(b).toBeGreaterThanOrEqual(a * (1 - 1e-9));
              else expect(b).toBeLessThanOrEqual(a * (1 + 1e-9));
            }
          }
          s = r.next;
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('candleMayAct (backtest fast path) is conservative', () => {
  it('when it says a candle is quiet, evaluating its four ticks acts on nothing and changes nothing but lastPrice', async () => {
    const { candleMayAct } = await import('../../../src/domain/monitor/index.ts');
    const { candleToTicks } = await import('../../../src/domain/candles.ts');
    let quietSeen = 0;
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })), { minLength: 1, maxLength: 30 }),
        (sc, moves) => {
          let s = start(sc);
          let price = sc.entry;
          let time = T0;
          for (const [gap, up, down, drift] of moves) {
            time += 60_000;
            const open = price * (1 + gap / 100);
            const close = open * (1 + drift / 100);
            const candle = {
              time,
              open,
              high: Math.max(open, close) * (1 + up / 100),
              low: Math.min(open, close) * (1 - down / 100),
              close,
              volume: 1,
            };
            const quiet = !candleMayAct(s, candle, sc.settings);
            const before = s;
            for (const tick of candleToTicks(candle)) {
              const r = evaluate(s, tick, sc.settings);
              if (quiet) expect(r.actions).toEqual([]);
              s = r.next;
            }
            if (quiet) {
              quietSeen++;
              expect({ ...s, lastPrice: null }).toEqual({ ...before, lastPrice: null });
            }
            price = close;
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(quietSeen).toBeGreaterThan(100);
  });
});

/** every price at which some rule of `s` fires or moves: the places a wake price would get wrong */
function levelsOf(s: PositionState, settings: MonitorSettings): number[] {
  const dir = s.side === 'long' ? 1 : -1;
  const out = [s.stopLoss, s.takeProfit, s.trailingStop, s.peak, s.tpTrailPeak];
  if (s.tpTrailPeak !== null) out.push(s.tpTrailPeak * (1 - (dir * settings.trailingTpDeviationPct) / 100));
  out.push(s.entry * (1 + (dir * settings.trailingActivationPct) / 100));
  for (const l of settings.partialTpLevels) out.push(s.entry * (1 + (dir * l.targetPct) / 100));
  if (s.mode !== 'spot') {
    const liq = s.entry * (1 - (dir * 1) / Math.max(1, s.leverage) + dir * settings.maintenanceMarginRate);
    for (const pct of [settings.liquidationWarnPct, settings.liquidationClosePct]) out.push(dir === 1 ? liq / (1 - pct / 100) : liq / (1 + pct / 100));
  }
  return out.filter((x): x is number => x !== null && Number.isFinite(x) && x > 0);
}

describe('wake prices (the keys of the monitor index) never hide a tick the rules act on', () => {
  it('a tick that crosses no wake price gets no action from evaluate() and changes nothing but lastPrice, on random states and ticks snapped onto their levels', async () => {
    const { tickMayAct, wakePrices } = await import('../../../src/domain/monitor/index.ts');
    let quietSeen = 0;
    let nearLevelQuiet = 0;
    let actedSeen = 0;
    let peakOnlySeen = 0;
    fc.assert(
      fc.property(
        scenarioArb,
        // per step: snap the price onto one of the position's levels (nudged by a few ulps or
        // by a billionth) instead of the scenario's random move
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 1e-16, -1e-16, 2e-15, -2e-15, 1e-12, -1e-12, 1e-10, -1e-10, 2e-9, -2e-9, 4e-8, -4e-8, 1e-7, -1e-7)), { minLength: 60, maxLength: 60 }),
        (sc, snaps) => {
          let s = start(sc);
          let price = sc.entry;
          let time = T0;
          sc.steps.forEach((step, i) => {
            const [pick, nudge] = snaps[i] as [number, number];
            const levels = levelsOf(s, sc.settings);
            const snapped = pick % 3 !== 0 && levels.length > 0;
            price = snapped ? (levels[pick % levels.length] as number) * (1 + nudge) : Math.max(1e-6, price * (1 + step.movePct / 100));
            time += step.dtMs;
            // live ticks are not continuous; the backtest's are (candleMayAct below covers ranges)
            const tick = { time, price, continuous: step.continuous };
            // now and then the trader has just changed the trailing distance
            const settings = i % 4 === 3 ? { ...sc.settings, trailingDistancePct: step.distancePct } : sc.settings;
            const w = wakePrices(s, settings);
            const crossed = price < w.low || price > w.high || time >= w.at;
            expect(tickMayAct(s, tick, settings)).toBe(crossed);
            const r = evaluate(s, tick, settings);
            if (!crossed) {
              quietSeen++;
              if (snapped) nearLevelQuiet++;
              expect(r.actions).toEqual([]);
              expect({ ...r.next, lastPrice: null }).toEqual({ ...s, lastPrice: null });
            } else if (r.actions.length > 0) {
              actedSeen++;
              if (r.actions.every((a) => a.type === 'reevaluation' && a.reason === 'trailing_peak')) peakOnlySeen++;
            }
            s = r.next;
          });
        },
      ),
      { numRuns: 3000 },
    );
    expect(quietSeen).toBeGreaterThan(1000);
    expect(nearLevelQuiet).toBeGreaterThan(100);
    expect(actedSeen).toBeGreaterThan(1000);
    expect(peakOnlySeen).toBeGreaterThan(100);
  });

  it('the wake reads partial levels through partialLevels(): a level not yet taken bounds it, a taken one no longer does', async () => {
    const { wakePrices } = await import('../../../src/domain/monitor/index.ts');
    const settings: MonitorSettings = {
      ...DEFAULT_MONITOR_SETTINGS,
      trailingEnabled: false,
      partialTpEnabled: true,
      partialTpLevels: [
        { targetPct: 2, fraction: 0.5 },
        { targetPct: 4, fraction: 0.5 },
      ],
    };
    const long = openPosition({ side: 'long', entry: 100, qty: 1, stopLoss: 95, takeProfit: 110, openedAt: T0, mode: 'spot' }, settings);
    expect(wakePrices(long, settings).high).toBeCloseTo(102, 6);
    expect(wakePrices(long, settings).low).toBeCloseTo(95, 6);
    const first = evaluate(long, { time: T0 + 1, price: 102.5, continuous: false }, settings);
    expect(first.actions.map((a) => a.type)).toEqual(['partial']);
    expect(wakePrices(first.next, settings).high).toBeCloseTo(104, 6);
    const short = openPosition({ side: 'short', entry: 100, qty: 1, stopLoss: 105, takeProfit: 90, openedAt: T0, mode: 'spot' }, settings);
    expect(wakePrices(short, settings).low).toBeCloseTo(98, 6);
    expect(wakePrices(short, settings).high).toBeCloseTo(105, 6);
    // the option off: the take profit alone bounds it
    expect(wakePrices(long, { ...settings, partialTpEnabled: false }).high).toBeCloseTo(110, 6);
  });
});

describe('the monitor wake index (engine/position-book.ts) against evaluating every position on every tick', () => {
  const edits = fc.record({
    /** which position the trader touches */
    who: fc.nat(),
    what: fc.constantFrom('none', 'none', 'stop', 'take_profit', 'breakeven', 'close_half', 'distance'),
    pct: fc.double({ min: 0.1, max: 6, noNaN: true }),
  });

  it('a tick reaches every position whose rules act on it: the same actions, position by position, as the rules run on every position for every tick, through trader edits and settings changes', async () => {
    const { PositionBook } = await import('../../../src/engine/position-book.ts');
    const { moveStopLoss, moveTakeProfit, stopToBreakeven, applyManualClose } = await import('../../../src/domain/monitor/index.ts');
    let skipped = 0;
    let woken = 0;
    let acted = 0;
    fc.assert(
      fc.property(
        fc.array(scenarioArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.record({ movePct: fc.double({ min: -3, max: 3, noNaN: true }), dtMs: fc.integer({ min: 0, max: 900_000 }), edit: edits, snap: fc.nat() }), { minLength: 1, maxLength: 80 }),
        (scenarios, path) => {
          const book = new PositionBook();
          // every position on one symbol, entered around one price
          const base = scenarios[0]?.entry ?? 100;
          const records = scenarios.map((sc, i) => {
            const st = start({ ...sc, entry: base * (1 + ((i % 5) - 2) / 100) });
            return record(`p${i}`, st, sc.settings);
          });
          for (const r of records) book.add(r);
          // the reference: plain states, every one evaluated on every tick
          const ref = records.map((r) => ({ state: r.state, settings: r.settings, actions: [] as MonitorAction[] }));
          const got = records.map(() => [] as MonitorAction[]);
          let price = base;
          let time = T0;
          for (const step of path) {
            // half the ticks land on a level of some open position (the edges a wake would get wrong)
            const open = ref.filter((x) => !x.state.closed);
            const levels = open.length > 0 ? levelsOf(open[step.snap % open.length]!.state, open[step.snap % open.length]!.settings) : [];
            price = step.snap % 2 === 0 && levels.length > 0 ? (levels[step.snap % levels.length] as number) : Math.max(1e-6, price * (1 + step.movePct / 100));
            time += step.dtMs;
            const tick = { time, price, continuous: false };
            const wake = new Set(book.woken('binance', 'BTC/USDT', price, time).map((r) => r.id));
            records.forEach((r, i) => {
              const x = ref[i]!;
              const want = evaluate(x.state, tick, x.settings);
              x.state = want.next;
              x.actions.push(...want.actions);
              if (!book.get(r.id)) return;
              if (!wake.has(r.id)) {
                // skipped: the rules must have nothing to do for it
                skipped++;
                const mine = evaluate(r.state, tick, r.settings);
                expect(mine.actions).toEqual([]);
                expect({ ...mine.next, lastPrice: null }).toEqual({ ...r.state, lastPrice: null });
                return;
              }
              woken++;
              const res = evaluate(r.state, tick, r.settings);
              if (res.actions.length > 0) acted++;
              r.state = res.next;
              got[i]!.push(...res.actions);
              if (r.state.closed) book.remove(r.id);
            });
            // a trader's edit, on both sides alike
            const k = step.edit.who % records.length;
            const r = records[k]!;
            const x = ref[k]!;
            if (x.state.closed) continue;
            const dir = x.state.side === 'long' ? 1 : -1;
            const apply = (f: (s: PositionState) => { next: PositionState; actions: readonly MonitorAction[] }) => {
              const a = f(x.state);
              x.state = a.next;
              x.actions.push(...a.actions);
              const b = f(r.state);
              r.state = b.next;
              got[k]!.push(...b.actions);
              if (r.state.closed) book.remove(r.id);
            };
            if (step.edit.what === 'stop') apply((s) => moveStopLoss(s, price * (1 - (dir * step.edit.pct) / 100), time));
            else if (step.edit.what === 'take_profit') apply((s) => moveTakeProfit(s, price * (1 + (dir * step.edit.pct) / 100), time));
            else if (step.edit.what === 'breakeven') apply((s) => stopToBreakeven(s, time));
            else if (step.edit.what === 'close_half') apply((s) => applyManualClose(s, 0.5, price, time));
            else if (step.edit.what === 'distance') {
              x.settings = { ...x.settings, trailingDistancePct: step.edit.pct };
              r.settings = x.settings;
            }
          }
          records.forEach((r, i) => {
            expect(got[i]).toEqual(ref[i]!.actions);
            expect({ ...r.state, lastPrice: null }).toEqual({ ...ref[i]!.state, lastPrice: null });
          });
        },
      ),
      { numRuns: 600 },
    );
    // both paths met many times: positions the index skipped, and woken ones that acted
    expect(skipped).toBeGreaterThan(1000);
    expect(acted).toBeGreaterThan(1000);
  });
});

function record(id: string, state: PositionState, settings: MonitorSettings): PositionRecord {
  return {
    id,
    userId: 'u1',
    accountId: 'a1',
    signalId: null,
    exchange: 'binance',
    isPaper: true,
    symbol: 'BTC/USDT',
    state,
    settings,
    status: 'open',
    closeReason: null,
    realizedPnl: 0,
    feesPaid: 0,
    entryFee: 0,
    closedAt: null,
    pendingAction: null,
    rev: 0,
  };
}
