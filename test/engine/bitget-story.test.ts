/**
 * The whole story on Bitget, for every mode /connect offers that the bot trades there (spot and
 * USDT-M; see bitget-margin note in the README), through real ccxt against the Bitget emulator and
 * the engine on a real database: a signal → the entry → three partial take profits → the trailing
 * exit, every trade's net P&L exact from Bitget's fills and fees (spot: the entry's fee taken in
 * the coin bought, exits' in USDT; USDT-M: 0.06 % in USDT on each fill), the backstop following
 * the position on the exchange and gone when it closes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { orders, positions, trades } from '../../src/db/schema.ts';
import { databaseKinds } from '../support/databases.ts';
import { closeBitgetWorld, createBitgetWorld, open, setPrice, type BitgetWorld } from './bitget-world.ts';

// a first test loads ccxt's Bitget class and the database snapshot: slow on a loaded machine
vi.setConfig({ testTimeout: 90_000 });

let world: BitgetWorld | undefined;
afterEach(async () => {
  if (world) await closeBitgetWorld(world);
  world = undefined;
});

const liveStops = (w: BitgetWorld) => w.ex.book.plans.filter((p) => p.status === 'live');

describe.each(databaseKinds())('the Bitget story on %s', (kind) => {
  it.each([
    // spot: 1 000 USDT buys 0.02 BTC, 0.1 % of it (0.00002 BTC) is the fee; partial sells round down to 0.000001 BTC
    { mode: 'spot' as const, held: 0.01998, exits: [0.004995, 0.007492, 0.005619, 0.001874], entryFeeQuote: 1, exitFee: 0.001 },
    // USDT-M: 0.02 BTC, 0.06 % taker in USDT; sizes round down to 0.0001 BTC
    { mode: 'futures' as const, held: 0.02, exits: [0.005, 0.0075, 0.0056, 0.0019], entryFeeQuote: 0.6, exitFee: 0.0006 },
  ])('$mode: signal → entry → partial take profits → trailing exit, exact P&L; the backstop follows and goes', async ({ mode, held, exits, entryFeeQuote, exitFee }) => {
    const w = (world = await createBitgetWorld(mode, { kind }));
    const p = await open(w);
    expect(p).toMatchObject({ symbol: w.symbol, side: 'long', qty: held, entryPrice: 50_000, stopLoss: 49_000, takeProfit: expect.closeTo(55_000, 6) });
    // the backstop rests on the exchange for the whole quantity, 0.5 % beyond the bot's stop
    expect(liveStops(w)).toMatchObject([{ size: held, triggerPrice: 48_755, side: 'sell', planType: mode === 'spot' ? 'amount' : 'loss_plan' }]);
    expect(p.exchangeStop).toEqual({ stopPrice: 48_755 });
    if (mode === 'spot') expect(w.ex.book.spot('BTC')).toEqual({ available: held, frozen: 0 }); // the plan order holds nothing

    const path = [50_600, 51_100, 51_600, 52_000, 51_400];
    for (const price of path) {
      setPrice(w, price);
      await w.h.engine.settle();
    }

    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id)).orderBy(trades.createdAt);
    expect(rows.map((t) => t.closeReason)).toEqual(['partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
    const at = [50_600, 51_100, 51_600, 51_400];
    let total = 0;
    rows.forEach((t, i) => {
      const qty = exits[i]!;
      // gross, less this exit's fee (USDT), less its share of the entry's fee
      const pnl = (at[i]! - 50_000) * qty - at[i]! * qty * exitFee - (entryFeeQuote * qty) / held;
      total += pnl;
      expect(Number(t.quantity)).toBeCloseTo(qty, 12);
      expect(Number(t.exitPrice)).toBe(at[i]);
      expect(Number(t.pnl)).toBeCloseTo(pnl, 9);
    });
    const [closed] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'trailing_stop' });
    expect(Number(closed!.realizedPnl)).toBeCloseTo(total, 9);
    const orderRows = await w.db.db.select().from(orders).where(eq(orders.positionId, p.id));
    expect(orderRows.map((o) => o.status)).toEqual(['filled', 'filled', 'filled', 'filled', 'filled']);

    // what the exchange holds: nothing of the position, no stop left resting
    if (mode === 'spot') expect(w.ex.book.spot('BTC').available).toBeCloseTo(0, 12);
    else expect(w.ex.book.positions.size).toBe(0);
    expect(liveStops(w)).toEqual([]);
    // one stop per size the position had (the entry and after each partial); each replacement placed before the old went
    const stops = w.ex.book.plans.map((s) => s.size);
    expect(stops).toEqual([held, held - exits[0]!, held - exits[0]! - exits[1]!, held - exits[0]! - exits[1]! - exits[2]!].map((q) => expect.closeTo(q, 12)));
    expect(w.h.notifier.events.map((e) => e.kind)).toEqual(['position_opened', 'partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
  });

  it('USDT-M: 1 000 trailing ticks cost at most 5 exchange calls on the backstop (moves on 1 % steps, at most once a minute)', async () => {
    const w = (world = await createBitgetWorld('futures', { kind, settings: { partialTpEnabled: false } }));
    await open(w);
    const first = liveStops(w)[0]!;
    const before = w.ex.requests.length;
    let price = 50_000;
    for (let i = 1; i <= 1_000; i++) {
      // up 2 % with a ±0.2 % wiggle: never 1 % off its peak, so the trailing stop never closes it
      price = Math.round(50_000 * (1 + (0.02 * i) / 1_000 + 0.002 * Math.sin(i / 7)) * 10) / 10;
      w.h.clock.advance(1_000);
      setPrice(w, price);
      if (i % 5 === 0) await w.h.engine.sweepPositions();
    }
    await w.h.engine.settle();
    const stopPaths = ['/api/v2/mix/order/place-tpsl-order', '/api/v2/mix/order/cancel-plan-order', '/api/v2/mix/order/orders-plan-pending', '/api/v2/mix/order/orders-plan-history'];
    const calls = w.ex.requests.slice(before).filter((r) => stopPaths.includes(r.path)).length;
    expect(calls).toBeLessThanOrEqual(5);
    expect(calls).toBeGreaterThan(0);
    const [live] = liveStops(w);
    expect(liveStops(w)).toHaveLength(1);
    expect(live!.triggerPrice).toBeGreaterThan(first.triggerPrice);
    expect(live!.triggerPrice).toBeLessThan(price * 0.99);
    console.log(`Bitget USDT-M backstop calls over 1 000 trailing ticks: ${calls}; stop ${first.triggerPrice} → ${live!.triggerPrice}`);
  });
});
