/**
 * A fault storm from the exchange emulator (real ccxt against the Binance emulator): orders
 * answered with 429s and 5xx, timed out before or after the exchange accepted them, and their
 * lookups timing out too. Whatever happens, every order the engine meant to place exists on the
 * exchange at most once, every order on the exchange is recorded as filled on our side, and the
 * trades add up to what was sold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { orders, positions, trades } from '../../src/db/schema.ts';
import { intentOf } from '../../src/engine/tracked-order.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { startBinanceEmulator, type BinanceEmulator, type FaultKind } from '../emulators/exchange/binance-server.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, type Harness } from './harness.ts';

const ORDER = '/api/v3/order';
const TRADERS = 5;

/** a fixed, varied storm: the same every run */
const STORM: Array<{ method: 'POST' | 'GET'; fault: FaultKind }> = [];
const KINDS: FaultKind[] = [
  { kind: 'drop-after-accept' },
  { kind: 'server-error', status: 503 },
  { kind: 'timeout' },
  { kind: 'rate-limit', retryAfterSec: 1 },
  { kind: 'drop-after-accept' },
  { kind: 'server-error', status: 502 },
];
for (let i = 0; i < 36; i++) STORM.push({ method: i % 5 === 4 ? 'GET' : 'POST', fault: KINDS[(i * 7) % KINDS.length]! });

describe.each(databaseKinds())('fault storm on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;

  afterEach(async () => {
    await h?.engine.stop();
    await emulator?.close();
    await db?.destroy();
  });

  it('places every intended order exactly once and records every placed order', { timeout: 120_000 }, async () => {
    db = await openTestDatabase(kind);
    emulator = await startBinanceEmulator();
    emulator.book.spot('USDT').free = 1_000_000;
    const factory = createExchangeFactory({
      options: { binance: { timeout: 300, urls: { api: emulator.ccxtApiUrls() } } },
      retryDeps: { sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))), random: () => 0.5 },
      retryPolicy: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200, maxRetryAfterMs: 2000 },
    });
    h = await createHarness(db, {}, { createExchange: (account) => factory.create(account) });
    const setPrice = (p: number) => {
      emulator.setPrice('BTCUSDT', p);
      h.feed.push('BTC/USDT', p);
    };
    setPrice(100);
    for (let i = 0; i < TRADERS; i++) {
      const { user } = await (await import('../../src/db/repos/users.ts')).createUsersRepo(db.db).upsertFromTelegram({ telegramId: 60_000 + i, chatId: 60_000 + i });
      await h.accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: emulator.apiKey, secret: emulator.secret } });
    }
    await h.engine.start();
    for (const s of STORM) emulator.inject({ method: s.method, path: ORDER, fault: s.fault });

    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY' });
    await signalsDone(h);
    // the price path, with the 5 s sweep resolving unknown outcomes and retrying refused exits
    for (const p of [101.2, 102.2, 103.2, 104, 103.5, 102.9, 102.5, 102, 101.8]) {
      h.clock.advance(5_000);
      setPrice(p);
      await h.engine.settle();
      await h.engine.sweepPositions();
    }
    for (let i = 0; i < 20; i++) {
      h.clock.advance(65_000);
      await h.engine.sweepPositions();
    }

    const rows = await db.db.select().from(orders);
    // the backstops (SPEC §10, client ids 'bs…') are not order rows: checked apart below
    const backstops = emulator.book.orders.filter((o) => o.clientOrderId.startsWith('bs'));
    const onExchange = emulator.book.orders.filter((o) => !o.clientOrderId.startsWith('bs'));
    // nothing left undecided on our side
    expect(rows.filter((o) => o.status === 'pending' || o.status === 'unknown')).toEqual([]);
    // each intended order (our clientOrderId) reached the book at most once …
    const perId = new Map<string, number>();
    for (const o of onExchange) perId.set(o.clientOrderId, (perId.get(o.clientOrderId) ?? 0) + 1);
    expect([...perId.values()].filter((n) => n > 1)).toEqual([]);
    // … and no intent filled twice (a re-send goes under the next id of its intent, only once the last was certainly absent)
    const perIntent = new Map<string, number>();
    for (const o of onExchange) perIntent.set(intentOf(o.clientOrderId), (perIntent.get(intentOf(o.clientOrderId)) ?? 0) + 1);
    expect([...perIntent.values()].filter((n) => n > 1)).toEqual([]);
    // … and exactly the orders on the book are the ones we recorded as filled
    expect(onExchange.map((o) => o.clientOrderId).sort()).toEqual(rows.filter((o) => o.status === 'filled').map((o) => o.clientOrderId).sort());
    expect(rows.filter((o) => o.purpose === 'entry' && o.status === 'filled').length).toBeGreaterThan(0);
    // every backstop id reached the book at most once, and none rests for a position that is closed
    expect(new Set(backstops.map((o) => o.clientOrderId)).size).toBe(backstops.length);
    const stillOpen = (await db.db.select().from(positions)).filter((p) => p.status !== 'closed').length;
    expect(backstops.filter((o) => o.status === 'NEW').length).toBeLessThanOrEqual(stillOpen);

    // the exchange holds exactly what our open positions say
    // (spot fees are taken in BTC: a position holds what was bought less the fee, and a close may
    // leave dust below the market's minimum on the account, recorded on its trade)
    const all = await db.db.select().from(positions);
    let held = 0;
    for (const p of all) {
      const exits = await db.db.select().from(trades).where(eq(trades.positionId, p.id));
      const sold = exits.reduce((s, t) => s + Number(t.quantity), 0);
      const dust = exits.reduce((s, t) => s + Number(t.dust), 0);
      expect(sold + dust + Number(p.qty)).toBeCloseTo(Number(p.qtyInitial), 8);
      held += Number(p.qty) + dust;
    }
    // (free plus what the open positions' backstops lock)
    expect(emulator.book.spot('BTC').free + emulator.book.spot('BTC').locked).toBeCloseTo(held, 8);
    // the storm was felt: faults were consumed and some orders were resolved by lookup
    expect(emulator.count(ORDER, 'GET')).toBeGreaterThan(0);
    // (an entry whose request never reached the book is sent again after the horizon under the next
    // id of its intent, never its own; some exits happened)
    expect(all.filter((p) => p.status === 'closed' || Number(p.qty) < Number(p.qtyInitial)).length).toBeGreaterThan(0);
  });
});
