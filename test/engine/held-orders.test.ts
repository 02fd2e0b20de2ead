/**
 * Orders whose answer was lost, against real ccxt and the Binance emulator, with the engine on a
 * real database and restarted while the order is held: Binance answers -2013 "Order does not
 * exist" until a held order is matched, then knows it as FILLED. An unknown order is never taken
 * for absent within the horizon (ccxt timeout + Binance's recvWindow after our last request), never
 * sent again under the same client id, and completes what it was for once found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { orders, positions, signalExecutions, trades } from '../../src/db/schema.ts';
import type { Engine } from '../../src/engine/create-engine.ts';
import { ENTRY_RESEND_WINDOW_MS } from '../../src/engine/open-position.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { BINANCE_RECV_WINDOW_MS } from '../../src/exchange/quirks/binance.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { ccxtClient } from '../emulators/exchange/ccxt-client.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, drain, type Harness } from './harness.ts';

const ORDER = '/api/v3/order';
/** ms: ccxt's timeout in these tests */
const TIMEOUT_MS = 300;
/**
 * real ms the emulator would hold an order: longer than any test, so it is matched only when the
 * test says (`emulator.matchHeld()`, after the restarts), however loaded the machine (the engine's
 * clock is fake: the horizon is not reached)
 */
const HOLD_MS = 600_000;

describe.each(databaseKinds())('orders held by the exchange across restarts on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;
  let engine: Engine;

  afterEach(async () => {
    await engine?.stop();
    await emulator?.close();
    await db?.destroy();
  });

  async function world(): Promise<{ userId: string; accountId: string }> {
    db = await openTestDatabase(kind);
    emulator = await startBinanceEmulator();
    emulator.book.spot('USDT').free = 100_000;
    const factory = createExchangeFactory({
      options: { binance: { timeout: TIMEOUT_MS, urls: { api: emulator.ccxtApiUrls() } } },
      retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
      retryPolicy: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
    });
    h = await createHarness(db, {}, { createExchange: (account) => factory.create(account) });
    engine = h.engine;
    setPrice(100);
    const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 70_001, chatId: 70_001 });
    const account = await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: emulator.apiKey, secret: emulator.secret } });
    await engine.start();
    return { userId: user.id, accountId: account.id };
  }

  function setPrice(p: number): void {
    emulator.setPrice('BTCUSDT', p);
    h.feed.push('BTC/USDT', p);
  }

  /** the engine dies and a new one starts on the same database (what a kill and a restart leave) */
  async function restart(): Promise<Engine> {
    await engine.stop();
    engine = h.newEngine();
    await engine.start();
    return engine;
  }

  /** the NOTIFY delivery, or the sweep where it is late (a loaded machine): the signal is worked on either way */
  async function signalsDone(): Promise<void> {
    await drain(engine);
    await engine.sweepSignals();
    await engine.settle();
  }

  /** the bot's exits: MARKET sells (a backstop is a STOP_LOSS_LIMIT sell, client id `bs…`, counted apart) */
  const sells = () => emulator.book.orders.filter((o) => o.side === 'SELL' && o.type === 'MARKET');
  /** market orders sent (entries and exits; the backstop's placements and moves are not counted here) */
  const marketPosts = () => emulator.requests.filter((r) => r.method === 'POST' && r.path === ORDER && r.params.type === 'MARKET').length;
  /** stop orders the exchange still holds open */
  const openStops = () => emulator.book.orders.filter((o) => o.clientOrderId.startsWith('bs') && o.status === 'NEW');
  /** coins held on the exchange: free plus those locked in a backstop */
  const heldBtc = () => emulator.book.spot('BTC').free + emulator.book.spot('BTC').locked;
  const positionRow = async (userId: string) => (await db.db.select().from(positions).where(eq(positions.userId, userId)))[0];

  async function openPosition(userId: string) {
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone();
    const [open] = await engine.facade.listPositions(userId);
    if (!open) throw new Error('no position opened');
    return open;
  }

  it('a held entry stays pending across a restart (no second entry), is found filled and monitored to its stop', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, fault: { kind: 'hold-then-execute', delayMs: HOLD_MS } });
    const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone();
    // the answer was lost and the lookups say -2013: unknown, not absent
    expect(await positionRow(userId)).toMatchObject({ status: 'pending' });
    const [entry] = await db.db.select().from(orders).where(eq(orders.purpose, 'entry'));
    expect(entry).toMatchObject({ status: 'unknown' });
    expect(emulator.book.orders).toHaveLength(0);

    await restart();
    expect(engine.recovery).toMatchObject({ stillUnknown: 1, entriesResolved: 0 });
    expect(await positionRow(userId)).toMatchObject({ status: 'pending' });
    // the same signal again (a catch-up sweep) sends nothing while the entry is unknown
    await engine.sweepSignals();
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone();
    expect(emulator.count(ORDER, 'POST')).toBe(1); // no backstop either: nothing is known held yet

    expect(emulator.matchHeld()).toBe(1); // the slow exchange catches up
    await engine.sweepPositions();
    const [open] = await engine.facade.listPositions(userId);
    const bought = emulator.book.orders.find((o) => o.clientOrderId === entry!.clientOrderId)!;
    expect(bought).toMatchObject({ side: 'BUY', status: 'FILLED' });
    expect(open).toMatchObject({ status: 'open', entryPrice: 100 });
    expect(open!.qty).toBeCloseTo(bought.executedQty * 0.999, 10); // the 0.1 % fee was taken in BTC
    const [execution] = await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
    expect(execution).toMatchObject({ status: 'executed', positionId: open!.id });

    // monitored: the bot's stop (−2 %, 98) closes it with one sell of what is held; the price stays
    // above the backstop (0.5 % beyond, 97.51) so the bot's own stop is the one that acts
    expect(openStops()).toHaveLength(1);
    expect(heldBtc()).toBeCloseTo(open!.qty, 8);
    setPrice(97.9);
    await engine.settle();
    expect(await positionRow(userId)).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    expect(sells()).toHaveLength(1);
    expect(sells()[0]!.executedQty).toBeCloseTo(open!.qty, 5);
    expect(emulator.book.orders.filter((o) => o.side === 'BUY')).toHaveLength(1);
    expect(openStops()).toHaveLength(0);
    expect(heldBtc()).toBeLessThan(open!.qty * 0.01);
  });

  it('an entry the exchange never took, certain only after the horizon (ccxt timeout + recvWindow) and past the re-send window, is dropped: sent once', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, fault: { kind: 'timeout' } });
    const signalId = await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone();
    expect(await positionRow(userId)).toMatchObject({ status: 'pending' });

    await restart();
    h.clock.advance(TIMEOUT_MS + BINANCE_RECV_WINDOW_MS - 1_000);
    await engine.sweepPositions();
    expect(await positionRow(userId)).toMatchObject({ status: 'pending' });
    // the bot was away longer than the entry's re-send window: the market it was sized for has moved
    h.clock.advance(ENTRY_RESEND_WINDOW_MS);
    await engine.sweepPositions();
    const [execution] = await db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, signalId));
    expect(execution).toMatchObject({ status: 'failed' });
    expect(execution!.reasons.join(' ')).toContain('too old to send it again');
    expect(await positionRow(userId)).toBeUndefined();
    expect(emulator.count(ORDER, 'POST')).toBe(1);
    expect(emulator.book.orders).toHaveLength(0);
    const [entry] = await db.db.select().from(orders).where(eq(orders.purpose, 'entry'));
    expect(entry).toMatchObject({ status: 'rejected' });
  });

  it('a held partial take-profit is sold once: the monitor sends nothing else for the position until it is found', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    const open = await openPosition(userId);
    const held = open.qty;
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, fault: { kind: 'hold-then-execute', delayMs: HOLD_MS } });
    setPrice(101.5); // the first take-profit level: a quarter
    await engine.settle();
    expect(await positionRow(userId)).toMatchObject({ status: 'closing' });

    await restart();
    expect(engine.recovery).toMatchObject({ stillUnknown: 1 });
    setPrice(101.6);
    await engine.settle();
    await engine.sweepPositions();
    expect(marketPosts()).toBe(2); // the entry and the held partial, nothing more

    expect(emulator.matchHeld()).toBe(1); // the slow exchange catches up
    await engine.sweepPositions();
    const [after] = await engine.facade.listPositions(userId);
    expect(sells()).toHaveLength(1);
    expect(after).toMatchObject({ status: 'open', partialTaken: [true, false, false] });
    expect(after!.qty).toBeCloseTo(held - sells()[0]!.executedQty, 8);
    expect(sells()[0]!.executedQty).toBeCloseTo(held * 0.25, 4);
    const exits = await db.db.select().from(trades).where(eq(trades.positionId, open.id));
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ closeReason: 'partial_tp' });
    expect(Number(exits[0]!.exitPrice)).toBe(101.6); // the price when the held order was matched
    expect(h.notifier.ofKind('partial_tp')).toHaveLength(1);
    expect(h.notifier.ofKind('order_failed')).toEqual([]);
    // the exchange holds what the position says, the rest still under one backstop of that size
    expect(heldBtc()).toBeCloseTo(after!.qty, 8);
  });

  it('a held close is completed from the fill, not re-sent, and told as the stop it was', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    const open = await openPosition(userId);
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, fault: { kind: 'hold-then-execute', delayMs: HOLD_MS } });
    setPrice(97.9); // past the bot's stop (98), not the backstop (97.51)
    await engine.settle();
    expect(await positionRow(userId)).toMatchObject({ status: 'closing' });

    await restart();
    await restart(); // two kills while the order is held
    setPrice(97.6);
    await engine.settle();
    await engine.sweepPositions();
    expect(sells()).toHaveLength(0);

    expect(emulator.matchHeld()).toBe(1); // the slow exchange catches up
    await engine.sweepPositions();
    expect(await positionRow(userId)).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    expect(sells()).toHaveLength(1);
    expect(marketPosts()).toBe(2);
    const exits = await db.db.select().from(trades).where(eq(trades.positionId, open.id));
    expect(exits).toHaveLength(1);
    expect(Number(exits[0]!.exitPrice)).toBe(97.6); // the price when the held order was matched
    expect(h.notifier.ofKind('stop_loss')).toHaveLength(1);
    expect(h.notifier.ofKind('order_failed')).toEqual([]);
    expect(heldBtc()).toBeLessThan(open.qty * 0.01);
    expect(openStops()).toHaveLength(0);
  });

  it('a position closed on the exchange while the bot was down is booked at the exchange\'s fill price, not today\'s', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    const open = await openPosition(userId);
    await engine.stop();
    // the trader sells on the exchange at 103 while the bot is down; the price is 99 when it comes back
    setPrice(103);
    const client = ccxtClient(emulator, 'spot');
    await client.loadMarkets();
    // the backstop locks the coins: the trader cancels it to sell them
    for (const stop of openStops()) await client.cancelOrder(String(stop.orderId), 'BTC/USDT');
    await client.createOrder('BTC/USDT', 'market', 'sell', Number(client.amountToPrecision('BTC/USDT', open.qty)));
    setPrice(99);
    engine = h.newEngine();
    await engine.start();
    expect(engine.recovery).toMatchObject({ closedOnExchange: 1 });
    const row = await positionRow(userId);
    expect(row).toMatchObject({ status: 'closed', closeReason: 'closed_on_exchange' });
    const [exit] = await db.db.select().from(trades).where(eq(trades.positionId, open.id));
    expect(Number(exit!.exitPrice)).toBe(103);
    // bought 100, sold 103 less the 0.1 % fee of each side: a gain, where today's 99 would book a loss
    expect(Number(exit!.pnl)).toBeGreaterThan(0);
    // both sides' fees: the entry's 0.01 BTC at 100 (1 USDT) and the exchange's own exit fee in USDT
    expect(open.qty).toBeCloseTo(9.99, 8);
    expect(Number(exit!.fee)).toBeCloseTo(1 + 9.99 * 103 * 0.001, 6);
    const told = h.notifier.ofKind('action_needed').find((e) => e.positionId === open.id)!;
    expect(told.message).toContain('recorded as closed at 103');
  });

  it('a refused exit is told once per episode, across a restart too, and the fill after it is told as the stop', { timeout: 60_000 }, async () => {
    const { userId } = await world();
    const open = await openPosition(userId);
    // the exchange refuses every attempt of the close (429 each time the adapter tries)
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, times: 2, fault: { kind: 'rate-limit', retryAfterSec: 0 } });
    setPrice(97.9); // past the bot's stop (98), not the backstop (97.51)
    await engine.settle();
    expect(h.notifier.ofKind('order_failed')).toHaveLength(1);
    expect(await positionRow(userId)).toMatchObject({ status: 'open' });

    await restart();
    emulator.inject({ method: 'POST', path: ORDER, params: { type: 'MARKET' }, times: 2, fault: { kind: 'rate-limit', retryAfterSec: 0 } });
    h.clock.advance(1_500); // past the first back-off (1 s)
    setPrice(97.8);
    await engine.settle();
    expect(marketPosts()).toBe(5); // the entry, two refused attempts, two more after the restart
    expect(h.notifier.ofKind('order_failed')).toHaveLength(1); // the same episode: not told again

    h.clock.advance(2_500); // past the doubled back-off (2 s)
    setPrice(97.7);
    await engine.settle();
    expect(await positionRow(userId)).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    expect(sells()).toHaveLength(1);
    expect(h.notifier.ofKind('stop_loss')).toHaveLength(1);
    expect(h.notifier.ofKind('order_failed')).toHaveLength(1);
    expect(open.qty).toBeCloseTo(9.99, 8);
    expect(heldBtc()).toBeLessThan(open.qty * 0.01);
    expect(openStops()).toHaveLength(0);
  });
});
