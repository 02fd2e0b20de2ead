/**
 * A paper account during a database outage (issue 12, README "Risks and limits"): the paper
 * wallet, orders and resting stops live in the database, so a paper exit cannot happen while it
 * is down. This pins down what the trader gets instead: no exit during the outage, nothing sent
 * or recorded twice, and one exit at the price after the database is back.
 */
import { eq } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { paperOrders, positions, trades } from '../../src/db/schema.ts';
import type { ManualFeed } from '../fakes/manual-feed.ts';
import { openSwitchableDatabase, sleep } from './db-outage-world.ts';
import { createHarness, drain, signalsDone, type Harness } from './harness.ts';

const SLIP = 0.0005;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it('paper: a stop crossed while the database is down exits once, after it is back, at the price then', { timeout: 120_000 }, async () => {
  const { db, outage } = await openSwitchableDatabase('pglite');
  let feed: ManualFeed | undefined;
  const runtime = createExchangeRuntime({ paper: { store: createDrizzlePaperStore(db.db), settings: { feeRate: 0.001, slippage: SLIP } }, get priceFeed() { return feed; } });
  const h: Harness = await createHarness(db, {}, { createExchange: (account) => runtime.create(account), feeds: () => feed });
  feed = h.feed;
  cleanup = async () => {
    outage.restore();
    await h.engine.stop();
    await runtime.close();
    await db.destroy();
  };
  const { userId } = await h.addTrader(1201);
  h.feed.push('ETH/USDT', 100);
  await h.engine.start();
  await h.insertSignal({ symbol: 'ETH/USDT', action: 'BUY', confidence: 0.8 });
  await signalsDone(h);
  const [p] = await h.engine.facade.listPositions(userId);
  expect(p!.stopLoss).toBeCloseTo(98, 9);

  outage.cut();
  // the price falls through the stop (98) and stays there while the database is down
  for (const price of [97.5, 97, 96.5]) {
    h.clock.advance(1_000);
    h.feed.push('ETH/USDT', price);
    await h.engine.settle();
    await sleep(500);
  }
  // later, still down, lower
  h.feed.push('ETH/USDT', 95);
  await h.engine.settle();
  await sleep(1_000);

  outage.restore();
  await sleep(2_000); // the probe finds the database again
  h.clock.advance(1_000);
  h.feed.push('ETH/USDT', 95);
  await h.engine.settle();
  await drain(h.engine);

  // the refused exit backs off (exit_backoffs): a later sweep sends it again
  let waitedMs = 0;
  for (; waitedMs < 300_000 && (await db.db.select().from(trades).where(eq(trades.positionId, p!.id))).length === 0; waitedMs += 10_000) {
    h.clock.advance(10_000);
    h.feed.push('ETH/USDT', 95);
    await h.engine.sweepPositions();
    await h.engine.settle();
  }
  const exits = await db.db.select().from(trades).where(eq(trades.positionId, p!.id));
  const orders = async () => (await db.db.select().from(paperOrders)).map((o) => ({ side: o.side, type: o.type, status: o.status, filled: Number(o.filledQty) }));
  console.log(JSON.stringify({ waitedMs, alerts: h.notifier.events.map((e) => e.kind), orders: await orders() }));
  expect(exits).toHaveLength(1);
  expect(exits[0]!.closeReason).toBe('stop_loss');
  expect(Number(exits[0]!.quantity)).toBeCloseTo(p!.qty, 9);
  // not at 97.5 (the first tick through the stop, during the outage): at the price after it
  expect(Number(exits[0]!.exitPrice)).toBeCloseTo(95 * (1 - SLIP), 9);
  // one sell; the paper stop cancelled, not left resting on coins the account no longer holds
  const expected = [
    { side: 'buy', type: 'market', status: 'closed', filled: 10 },
    { side: 'sell', type: 'stop', status: 'canceled', filled: 0 },
    { side: 'sell', type: 'market', status: 'closed', filled: p!.qty },
  ];
  expect(await orders()).toEqual(expected);
  const [row] = await db.db.select().from(positions).where(eq(positions.id, p!.id));
  expect(row!.status).toBe('closed');
  // what the trader read meanwhile: the refused sell (the stop holding the coins could not be cancelled), then the database back
  expect(h.notifier.events.filter((e) => e.kind === 'order_failed').map((e) => (e as { message: string }).message)).toEqual([
    'close order failed: There is no free ETH to sell: a resting stop order holds it. Retrying.',
  ]);
  expect(h.notifier.events.filter((e) => e.kind === 'stop_loss')).toHaveLength(1);

  // a restart finds nothing to do: no stop comes back to life, nothing sold again
  await h.engine.stop();
  h.engine = h.newEngine();
  await h.engine.start();
  h.clock.advance(10_000);
  h.feed.push('ETH/USDT', 90);
  await h.engine.sweepPositions();
  await h.engine.settle();
  expect(await orders()).toEqual(expected);
  expect(await db.db.select().from(trades).where(eq(trades.positionId, p!.id))).toHaveLength(1);
});
