/**
 * The full story on Kraken Futures (the one mode /connect offers for Kraken's futures API):
 * real ccxt `krakenfutures` against the Kraken Futures emulator, the engine on a real database.
 * Connect (key check) → a BTC/USDT signal → entry on BTC/USD:USD sized from the multi-collateral
 * USD margin → partial take profits → trailing exit, with the trades' P&L equal to what the venue
 * booked; a restart with reconciliation; a button close; an Appendix B error told to the trader;
 * the backstop (reduce-only stop) placed, moved on a fill, cancelled on close, and fired while the
 * bot was away → `exchange_stop` recorded once.
 */
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { trades } from '../../src/db/schema.ts';
import { BACKSTOP_BUFFER, backstopClientId } from '../../src/engine/backstop.ts';
import { EXCHANGE_ERROR_MESSAGES } from '../../src/exchange/port.ts';
import { databaseKinds } from '../support/databases.ts';
import { closeKrakenWorld, createKrakenWorld, KF, KF_ID, KRAKEN_TELEGRAM_ID, openKraken, setKrakenPrice, usdChange, type KrakenWorld } from './krakenfutures-world.ts';
import { removeOwnAccount } from '../support/accounts.ts';

const actor = { telegramId: KRAKEN_TELEGRAM_ID };
const openStops = (w: KrakenWorld) => w.ex.book.orders.filter((o) => o.orderType === 'stp' && o.status === 'open');
const kinds = (w: KrakenWorld) => w.h.notifier.events.map((e) => e.kind);
const tradesOf = (w: KrakenWorld, positionId: string) => w.db.db.select().from(trades).where(eq(trades.positionId, positionId)).orderBy(trades.closedAt);
const onStep = (x: number, step: number) => Math.abs(x / step - Math.round(x / step)) < 1e-6;

describe.each(databaseKinds())('Kraken Futures, the whole story (real ccxt, emulator, %s)', (kind) => {
  let world: KrakenWorld | undefined;
  afterEach(async () => {
    if (world) await closeKrakenWorld(world);
    world = undefined;
  });

  it('connect: the key is checked against the venue (a wrong secret is refused by Kraken\'s Authent check)', async () => {
    const w = (world = await createKrakenWorld(kind));
    // checked as a new key: the world's own account (on this key) is removed first, else it is refused as already connected
    await removeOwnAccount(w.db.db, w.h.engine.facade, w.userId, w.accountId);
    expect(await w.h.engine.facade.checkKey('kraken', 'futures', { apiKey: w.ex.apiKey, secret: w.ex.secret })).toEqual({ ok: true });
    const wrong = await w.h.engine.facade.checkKey('kraken', 'futures', { apiKey: w.ex.apiKey, secret: Buffer.from('wrong').toString('base64') });
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toMatch(/rejected the API key/);
  });

  it('signal → entry on BTC/USD:USD → two partial take profits → trailing exit; the trades sum to what the venue booked', async () => {
    // a USDT-only account with Kraken's 2 % haircut: 9 800 USD of available margin. No position cap:
    // the portfolio's 25 % of equity per asset binds, 9 800 × 0.25 = 2 450 USD = 0.049 BTC (sizing
    // from the 10 000 USDT would give 0.05; from a USD balance, which the account does not hold, nothing)
    const w = (world = await createKrakenWorld(kind, { maxPosition: '1000000', riskLevel: 10, riskPerTrade: '5' }));
    w.ex.book.haircuts.set('USDT', 0.02);
    const p = await openKraken(w);
    expect(p).toMatchObject({ symbol: KF, side: 'long', entryPrice: 50_000, qty: 0.049 });
    expect(onStep(p.qty, 0.0001)).toBe(true);
    const venue = w.ex.book.positions.get(KF_ID)!;
    expect(venue.size).toBeCloseTo(p.qty, 9);
    // sized from the USD available margin of a USDT-only account, at the settings' 5× (under the market's 50×)
    expect(w.ex.book.leveragePreferences.get(KF_ID)).toBe(5);
    const [stop] = openStops(w);
    expect(stop).toMatchObject({ side: 'sell', reduceOnly: true, size: p.qty, cliOrdId: backstopClientId(p.id, 1) });
    expect(stop!.stopPrice).toBe(Math.floor(p.stopLoss! * (1 - BACKSTOP_BUFFER)));

    setKrakenPrice(w, 50_600); // +1.2 %: the first level sells a quarter; trailing activates (0.5 %)
    await w.h.engine.settle();
    const q1 = Math.floor((p.qty * 0.25) / 0.0001 + 1e-9) * 0.0001;
    let [now] = await w.h.engine.facade.listPositions(w.userId);
    expect(now!.qty).toBeCloseTo(p.qty - q1, 9);
    expect(openStops(w).map((o) => o.size)).toEqual([Number((p.qty - q1).toFixed(4))]); // resized after the fill

    setKrakenPrice(w, 51_100); // +2.2 %: the second level sells half of the rest
    await w.h.engine.settle();
    [now] = await w.h.engine.facade.listPositions(w.userId);
    const rest = p.qty - q1;
    const q2 = Math.floor((rest * 0.5) / 0.0001 + 1e-9) * 0.0001;
    expect(now!.qty).toBeCloseTo(rest - q2, 9);

    setKrakenPrice(w, 50_500); // under the trailing stop 51 100 × 0.99 = 50 589
    await w.h.engine.settle();
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    expect(w.ex.book.positions.size).toBe(0);
    expect(openStops(w)).toEqual([]);

    const rows = await tradesOf(w, p.id);
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice)])).toEqual([
      ['partial_tp', 50_600],
      ['partial_tp', 51_100],
      ['trailing_stop', 50_500],
    ]);
    expect(rows.map((t) => Number(t.quantity))).toEqual([q1, q2, rest - q2].map((x) => Number(x.toFixed(4))));
    // the exact P&L: each exit's (price − entry) × qty minus its fee and its share of the entry fee (0.05 % each side)
    const expected = [
      [50_600, q1],
      [51_100, q2],
      [50_500, rest - q2],
    ].map(([price, qty]) => (price! - 50_000) * qty! - price! * qty! * 0.0005 - 50_000 * qty! * 0.0005);
    rows.forEach((t, i) => expect(Number(t.pnl)).toBeCloseTo(expected[i]!, 6));
    // in numbers: 0.0122 at 50 600, 0.0184 at 51 100, 0.0184 at 50 500
    expect(rows.map((t) => Number(t.quantity))).toEqual([0.0122, 0.0184, 0.0184]);
    expect(rows.map((t) => Number(Number(t.pnl).toFixed(5)))).toEqual([6.70634, 19.30988, 8.2754]);
    // and it is what the venue booked in USD (realized P&L minus every fee)
    expect(rows.reduce((s, t) => s + Number(t.pnl), 0)).toBeCloseTo(usdChange(w), 6);
  });

  it('a restart reconciles: the position and its one stop are kept, then the Close button closes it and cancels the stop', async () => {
    const w = (world = await createKrakenWorld(kind));
    const p = await openKraken(w);
    await w.h.engine.stop();
    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    const [again] = await w.h.engine.facade.listPositions(w.userId);
    expect(again).toMatchObject({ id: p.id, qty: p.qty, entryPrice: 50_000 });
    expect(openStops(w)).toHaveLength(1);
    expect(kinds(w)).not.toContain('exchange_stop');

    setKrakenPrice(w, 50_200);
    const result = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1);
    expect(result.ok).toBe(true);
    expect(w.ex.book.positions.size).toBe(0);
    expect(openStops(w)).toEqual([]);
    const [t] = await tradesOf(w, p.id);
    expect(t).toMatchObject({ closeReason: 'manual' });
    expect(Number(t!.pnl)).toBeCloseTo(200 * p.qty - 0.0005 * p.qty * (50_000 + 50_200), 6);
    expect(Number(t!.pnl)).toBeCloseTo(usdChange(w), 6);
  });

  it('the backstop fires while the bot is down: at restart exchange_stop is recorded once from the fill, with one alert', async () => {
    const w = (world = await createKrakenWorld(kind));
    const p = await openKraken(w);
    const stop = openStops(w)[0]!;
    await w.h.engine.stop();
    for (const price of [49_500, 49_000, stop.stopPrice! + 10, stop.stopPrice! - 40]) w.ex.setPrice(KF_ID, price);
    expect(w.ex.book.positions.size).toBe(0);
    const fill = w.ex.book.fills.at(-1)!;
    expect(fill).toMatchObject({ order_id: stop.orderId, side: 'sell', price: stop.stopPrice! - 40 });
    w.ex.advance(10_000); // Kraken's orders/status has forgotten the stop: only its fill tells

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    const rows = await tradesOf(w, p.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ closeReason: 'exchange_stop' });
    expect(Number(rows[0]!.exitPrice)).toBe(fill.price);
    expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 9);
    expect(Number(rows[0]!.pnl)).toBeCloseTo(usdChange(w), 6);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);

    await w.h.engine.stop();
    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    expect(await tradesOf(w, p.id)).toHaveLength(1);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
    expect(kinds(w)).not.toContain('action_needed');
  });

  it('never asks for more leverage than the market allows: 20× wanted, SOL/USD:USD allows 10× → the position trades at 10×', async () => {
    const w = (world = await createKrakenWorld(kind, { leverage: 20, riskLevel: 10 }));
    w.ex.setPrice('PF_SOLUSD', 150);
    w.h.feed.push('SOL/USD:USD', 150);
    await w.h.insertSignal({ symbol: 'SOL/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
    let p: Awaited<ReturnType<typeof w.h.engine.facade.listPositions>>[number] | undefined;
    for (const start = Date.now(); !p && Date.now() - start < 10_000; ) {
      await w.h.engine.settle().then(() => new Promise((r) => setTimeout(r, 20)));
      [p] = await w.h.engine.facade.listPositions(w.userId);
    }
    expect(p).toMatchObject({ symbol: 'SOL/USD:USD', leverage: 10 });
    expect(w.ex.book.leveragePreferences.get('PF_SOLUSD')).toBe(10);
    expect(w.ex.requests.filter((r) => r.path.endsWith('/leveragepreferences') && r.method === 'PUT').map((r) => r.params.maxLeverage)).toEqual(['10']);
  });

  it('Appendix B "Rate limit exceeded": an entry the venue keeps refusing tells the trader to wait, and no position is left', async () => {
    const w = (world = await createKrakenWorld(kind));
    w.ex.inject({ path: '/sendorder', times: 20, fault: { kind: 'rate-limit' } });
    await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
    for (const start = Date.now(); !kinds(w).includes('order_failed') && Date.now() - start < 10_000; ) await w.h.engine.settle().then(() => new Promise((r) => setTimeout(r, 20)));
    const [failed] = w.h.notifier.ofKind('order_failed');
    expect(failed?.message).toContain(EXCHANGE_ERROR_MESSAGES.RATE_LIMITED);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    expect(w.ex.book.positions.size).toBe(0);
    expect(await w.db.db.select().from(trades).where(and(eq(trades.userId, w.userId)))).toEqual([]);
  });
});
