/**
 * A crash between placing the backstop and recording it: the stop rests on the exchange (Binance
 * USD-M emulator, real ccxt) but positions.backstop never got it. At restart the stop is found by
 * its deterministic client id: adopted when still resting (no second stop), recorded as
 * `exchange_stop` once when it fired while the bot was down (not as "closed on the exchange").
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { positions, trades } from '../../src/db/schema.ts';
import { backstopClientId } from '../../src/engine/backstop.ts';
import { closeWorld, createWorld, open, type World } from './backstop-world.ts';

const openAlgo = (w: World) => w.ex.book.algoOrders.filter((a) => a.algoStatus === 'NEW');
const kinds = (w: World) => w.h.notifier.events.map((e) => e.kind);

let world: World | undefined;
afterEach(async () => {
  if (!world) return;
  await closeWorld(world);
  world = undefined;
});

/** the process dies right after the exchange took the stop: its record never reaches the database */
async function crashBeforeTheRecord(w: World, positionId: string): Promise<void> {
  await w.h.engine.stop();
  await w.db.db.update(positions).set({ backstop: null }).where(eq(positions.id, positionId));
}

describe('a backstop placed but never recorded (crash in between)', () => {
  it('still resting at restart: adopted by its client id, no second stop placed', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const stop = openAlgo(w)[0]!;
    await crashBeforeTheRecord(w, p.id);

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    expect(openAlgo(w)).toEqual([stop]);
    expect(stop.clientAlgoId).toBe(backstopClientId(p.id, 1));
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row!.backstop).toMatchObject({ status: 'live', seq: 1, clientOrderId: stop.clientAlgoId, stopPrice: stop.triggerPrice });
    expect((await w.h.engine.facade.listPositions(w.userId))[0]).toMatchObject({ id: p.id, exchangeStop: { stopPrice: stop.triggerPrice } });
    expect(kinds(w).filter((k) => k === 'action_needed')).toEqual([]);
  });

  it('fired while the bot was down: recorded once as exchange_stop at the fill, one alert', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const stop = openAlgo(w)[0]!;
    await crashBeforeTheRecord(w, p.id);
    for (const price of [49_500, 49_000, stop.triggerPrice + 20, stop.triggerPrice - 50]) w.ex.setPrice('BTCUSDT', price);
    const fired = w.ex.book.trades.at(-1)!;
    expect(fired).toMatchObject({ side: 'SELL', price: stop.triggerPrice - 50 });

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice), Number(t.quantity)])).toEqual([['exchange_stop', fired.price, p.qty]]);
    expect(Number(rows[0]!.pnl) + Number(rows[0]!.fee)).toBeCloseTo(fired.realizedPnl, 9);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
    expect(kinds(w).filter((k) => k === 'action_needed')).toEqual([]);
    expect(w.h.engine.recovery).toMatchObject({ backstopsFired: 1 });

    await w.h.engine.stop();
    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    expect(await w.db.db.select().from(trades).where(eq(trades.positionId, p.id))).toHaveLength(1);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
  });

  it('written ahead as placing, fired while the bot was down: recorded once, counted among the backstops the start found fired, the older stop taken off', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const older = openAlgo(w)[0]!;
    // a second stop of the sequence was sent after its client id was written ahead; the process died before the answer was stored
    const placing = backstopClientId(p.id, 2);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    await w.h.engine.stop();
    await w.db.db.update(positions).set({ backstop: { ...row!.backstop!, seq: 2, placing } }).where(eq(positions.id, p.id));
    w.ex.book.algoOrders.push({ ...older, algoId: older.algoId + 1000, clientAlgoId: placing, triggerPrice: older.triggerPrice + 10 });
    const second = w.ex.book.algoOrders.at(-1)!;
    // the price walks through both: the emulator fires the higher one first and the position is flat
    for (const price of [49_500, 49_000, second.triggerPrice - 5]) w.ex.setPrice('BTCUSDT', price);
    expect(second.algoStatus).not.toBe('NEW');

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    expect(w.h.engine.recovery).toMatchObject({ backstopsFired: 1, closedOnExchange: 0 });
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => t.closeReason)).toEqual(['exchange_stop']);
    expect(openAlgo(w)).toEqual([]);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
  });
});
