/**
 * SPEC §11 and §3 rule 7 at the protocol edge: after any sequence of signals, button presses,
 * partial take-profits, stops and restarts, what the bot believes it holds is what the exchange
 * holds, per account, symbol and side. One trader with three accounts on three independent
 * Binance emulators (real ccxt): spot (fees taken in the coin bought), USD-M one-way, and USD-M
 * in hedge mode holding a short of the trader's own that the bot must never touch.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, type Harness } from './harness.ts';
import type { ExchangeAccount } from '../../src/exchange/port.ts';

type Op =
  | { kind: 'signal'; action: 'BUY' | 'SELL' }
  | { kind: 'price'; pct: number }
  | { kind: 'close'; fraction: 1 | 0.5 }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('signal' as const), action: fc.constantFrom('BUY' as const, 'SELL' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('price' as const), pct: fc.constantFrom(-3, -1.2, -0.4, 0.6, 1.1, 2.1, 3.2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), fraction: fc.constantFrom(1 as const, 0.5 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

const MANUAL_SHORT = 0.05;

interface World {
  db: TestDatabase;
  h: Harness;
  spot: BinanceEmulator;
  oneWay: BinanceEmulator;
  hedge: BinanceEmulator;
  userId: string;
  accounts: { spot: string; oneWay: string; hedge: string };
  price: number;
}

async function createWorld(): Promise<World> {
  const db = await openTestDatabase('pglite');
  const [spot, oneWay, hedge] = await Promise.all([startBinanceEmulator(), startBinanceEmulator(), startBinanceEmulator()]);
  spot.book.spot('USDT').free = 10_000;
  oneWay.book.futuresWallet = 10_000;
  hedge.book.futuresWallet = 10_000;
  hedge.book.dualSidePosition = true;
  const fast = {
    retryDeps: { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))), random: () => 0.5 },
    retryPolicy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  };
  const factories = new Map(
    [spot, oneWay, hedge].map((e) => [e, createExchangeFactory({ options: { binance: { timeout: 2_000, urls: { api: e.ccxtApiUrls() } } }, ...fast })] as const),
  );
  const byAccount = new Map<string, BinanceEmulator>();
  const h = await createHarness(db, {}, { createExchange: (account: ExchangeAccount) => factories.get(byAccount.get(account.accountId!)!)!.create(account) });
  const { user } = await createUsersRepo(db.db).upsertFromTelegram({ telegramId: 77_001, chatId: 77_001 });
  const credentials = (e: BinanceEmulator) => ({ apiKey: e.apiKey, secret: e.secret });
  const a = {
    spot: (await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: credentials(spot) })).id,
    oneWay: (await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'futures', marginMode: 'cross', credentials: credentials(oneWay) })).id,
    hedge: (await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'futures', marginMode: 'isolated', credentials: credentials(hedge) })).id,
  };
  byAccount.set(a.spot, spot).set(a.oneWay, oneWay).set(a.hedge, hedge);
  const world: World = { db, h, spot, oneWay, hedge, userId: user.id, accounts: a, price: 50_000 };
  setPrice(world, 50_000);
  // the trader's own short on the hedge account, opened by hand on the exchange before the bot trades
  await factories.get(hedge)!.create({ exchange: 'binance', mode: 'futures', credentials: credentials(hedge) }).placeOrder({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'market', qty: MANUAL_SHORT, leverage: 2, clientOrderId: 'manual-short' });
  await h.engine.start();
  return world;
}

function setPrice(w: World, price: number): void {
  w.price = price;
  for (const e of [w.spot, w.oneWay, w.hedge]) e.setPrice('BTCUSDT', price);
  w.h.feed.push('BTC/USDT', price);
  w.h.feed.push('BTC/USDT:USDT', price);
}

async function apply(w: World, o: Op): Promise<void> {
  const { h } = w;
  if (o.kind === 'signal') {
    await h.insertSignal({ symbol: 'BTC/USDT', action: o.action, confidence: 0.9, userId: w.userId });
    await signalsDone(h);
  } else if (o.kind === 'price') {
    setPrice(w, Math.round(w.price * (1 + o.pct / 100) * 100) / 100);
    await h.engine.settle();
  } else if (o.kind === 'close') {
    for (const p of await h.engine.facade.listPositions(w.userId)) {
      await h.engine.facade.closePosition({ telegramId: 77_001, userId: w.userId }, w.userId, p.id, o.fraction);
    }
  } else {
    await h.engine.stop();
    h.engine = h.newEngine();
    await h.engine.start();
  }
  await h.engine.sweepPositions();
  await h.engine.settle();
  // 16 minutes on: every signal stands alone (outside the 15-minute consensus window)
  h.clock.advance(16 * 60_000);
}

/** the bot's open quantity per account and side, from its own records */
async function believed(w: World): Promise<Map<string, number>> {
  const rows = await w.db.db.select().from(positions);
  const out = new Map<string, number>();
  for (const r of rows) {
    if (r.status === 'closed') continue;
    const key = `${r.accountId}:${r.side}`;
    out.set(key, (out.get(key) ?? 0) + Number(r.qty));
  }
  return out;
}

async function assertHoldingsAgree(w: World, step: string): Promise<void> {
  const ours = await believed(w);
  const get = (account: string, side: string) => ours.get(`${account}:${side}`) ?? 0;
  // spot: the coins on the account are the bot's open long plus the dust its closes left behind
  const dustRows = await w.db.db.select({ dust: trades.dust }).from(trades).where(eq(trades.accountId, w.accounts.spot));
  const dust = dustRows.reduce((s, r) => s + Number(r.dust), 0);
  const btc = w.spot.book.spot('BTC');
  expect(btc.free + btc.locked, `${step}: spot BTC held`).toBeCloseTo(get(w.accounts.spot, 'long') + dust, 9);
  expect(get(w.accounts.spot, 'short'), `${step}: no spot short`).toBe(0);
  for (const [name, e] of [['one-way', w.oneWay], ['hedge', w.hedge]] as const) {
    const account = name === 'one-way' ? w.accounts.oneWay : w.accounts.hedge;
    const held = [...e.book.positions.values()].filter((p) => p.symbol === 'BTCUSDT' && p.amount !== 0);
    const long = held.filter((p) => p.amount > 0).reduce((s, p) => s + p.amount, 0);
    const short = -held.filter((p) => p.amount < 0).reduce((s, p) => s + p.amount, 0);
    const manual = name === 'hedge' ? MANUAL_SHORT : 0;
    expect(long, `${step}: ${name} long`).toBeCloseTo(get(account, 'long'), 9);
    expect(short, `${step}: ${name} short`).toBeCloseTo(get(account, 'short') + manual, 9);
  }
  // one position per account and symbol
  for (const account of Object.values(w.accounts)) {
    expect(get(account, 'long') > 0 && get(account, 'short') > 0, `${step}: both sides open on one account`).toBe(false);
  }
}

describe('what the bot holds is what the exchange holds (SPEC §11), real ccxt against three Binance emulators', () => {
  let world: World | undefined;
  afterEach(async () => {
    if (!world) return;
    await world.h.engine.stop();
    await Promise.all([world.spot.close(), world.oneWay.close(), world.hedge.close()]);
    await world.db.destroy();
    world = undefined;
  });

  it('a BUY trades on every account; a second BUY is refused; a SELL reverses futures and closes spot; fees in BTC leave nothing open', { timeout: 120_000 }, async () => {
    world = await createWorld();
    const w = world;
    await apply(w, { kind: 'signal', action: 'BUY' });
    const open = await w.h.engine.facade.listPositions(w.userId);
    expect(open.map((p) => [p.accountId, p.side]).sort()).toEqual(
      [
        [w.accounts.spot, 'long'],
        [w.accounts.oneWay, 'long'],
        [w.accounts.hedge, 'long'],
      ].sort(),
    );
    // the spot long holds what was bought less the 0.1 % fee Binance took in BTC, all of it locked by its backstop stop (SPEC §10)
    const spotLong = open.find((p) => p.accountId === w.accounts.spot)!;
    expect(spotLong.qty).toBeCloseTo(w.spot.book.spot('BTC').locked, 12);
    expect(w.spot.book.spot('BTC').free).toBeCloseTo(0, 12);
    await assertHoldingsAgree(w, 'after BUY');

    await apply(w, { kind: 'signal', action: 'BUY' });
    expect((await w.h.engine.facade.listPositions(w.userId)).length).toBe(3);
    const refused = w.h.notifier.events.filter((e) => e.kind === 'signal_rejected');
    expect(refused.flatMap((e) => (e.kind === 'signal_rejected' ? e.reasons : [])).filter((r) => r.includes('a long of BTC/USDT'))).toHaveLength(3);

    await apply(w, { kind: 'signal', action: 'SELL' });
    const after = await w.h.engine.facade.listPositions(w.userId);
    expect(after.map((p) => [p.accountId, p.side]).sort()).toEqual(
      [
        [w.accounts.oneWay, 'short'],
        [w.accounts.hedge, 'short'],
      ].sort(),
    );
    const reversed = w.h.notifier.events.filter((e) => e.kind === 'signal_reverse');
    expect(reversed).toHaveLength(3);
    await assertHoldingsAgree(w, 'after SELL');
    // the spot long sold what it held: no BTC left but dust below the market's minimum
    expect(w.spot.book.spot('BTC').free).toBeLessThan(0.00001);
    // hedge mode: every order named its position side, and the trader's own short is intact
    const hedgeOrders = w.hedge.requests.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order' && r.params.newClientOrderId !== 'manual-short');
    expect(hedgeOrders.length).toBeGreaterThanOrEqual(3);
    for (const r of hedgeOrders) expect(['LONG', 'SHORT']).toContain(r.params.positionSide);
    // one-way mode: every close is reduce-only with the exact quantity
    const oneWayCloses = w.oneWay.requests.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order' && r.params.reduceOnly === 'true');
    expect(oneWayCloses).toHaveLength(1);
    expect(Number(oneWayCloses[0]!.params.quantity)).toBeCloseTo(open.find((p) => p.accountId === w.accounts.oneWay)!.qty, 12);
  });

  it('property: after any sequence of signals, price moves, Close buttons and restarts, holdings agree on every account', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 10 }), async (ops) => {
        world = await createWorld();
        try {
          for (const [i, o] of ops.entries()) {
            await apply(world, o);
            await assertHoldingsAgree(world, `step ${i + 1} ${JSON.stringify(o)}`);
          }
        } finally {
          await world.h.engine.stop();
          await Promise.all([world.spot.close(), world.oneWay.close(), world.hedge.close()]);
          await world.db.destroy();
          world = undefined;
        }
      }),
      { numRuns: 6 },
    );
  });
});
