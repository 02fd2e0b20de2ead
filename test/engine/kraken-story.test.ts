/**
 * The full story on Kraken spot and spot margin (the modes /connect offers on `kraken` besides
 * Kraken Futures, whose story is krakenfutures-story.test.ts), at the protocol edge: real ccxt
 * `kraken` against the Kraken spot emulator, the engine on a real database. Connect (key check),
 * signal → entry → three partial take profits → trailing exit with the exact P&L of Kraken's fills
 * (fees in USDT, the quote), a restart (reconciliation) then a button close, a position closed by
 * hand while the bot is away, Appendix B's own Kraken texts told to the trader, and on spot the
 * backstop: a stop-loss-limit sell that holds the coins, resized after each partial, cancelled on
 * close, and fired while the bot is away (exchange_stop once at restart).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { backstopClientId } from '../../src/domain/backstop.ts';
import { EXCHANGE_ERROR_MESSAGES } from '../../src/exchange/port.ts';
import { krakenSpotClientId } from '../../src/exchange/quirks/kraken.ts';
import { TAKER_FEE } from '../emulators/exchange/kraken-types.ts';
import { databaseKinds } from '../support/databases.ts';
import { KRAKEN_SPOT_TELEGRAM_ID, PAIR, START_USDT, closeKrakenSpotWorld, createKrakenSpotWorld, held, liveStops, openLong, restart, setPrice, type KrakenSpotWorld } from './kraken-world.ts';
import { removeOwnAccount } from '../support/accounts.ts';

const MODES = ['spot', 'margin'] as const;
const PATH = [50_300, 50_600, 51_100, 51_600, 52_000, 51_750, 51_450];

let world: KrakenSpotWorld | undefined;
afterEach(async () => {
  if (world) await closeKrakenSpotWorld(world);
  world = undefined;
});

describe.each(databaseKinds())('Kraken spot story on %s', (kind) => {
  describe.each(MODES)('%s', { timeout: 90_000 }, (mode) => {
    const make = () => createKrakenSpotWorld(kind, mode, mode === 'margin' ? { leverage: 3 } : {});
    const backstop = mode === 'spot';

    it('connect: the key check reads the balance (Kraken offers no permission read); a wrong secret and a key without "Query Funds" are refused with their reason', async () => {
      const w = (world = await make());
      // checked as a new key: the world's own account (on this key) is removed first, else it is refused as already connected
      await removeOwnAccount(w.db.db, w.h.engine.facade, w.userId, w.accountId);
      const key = { apiKey: w.ex.apiKey, secret: w.ex.secret };
      expect(await w.h.engine.facade.checkKey('kraken', mode, key)).toEqual({ ok: true });
      const wrong = await w.h.engine.facade.checkKey('kraken', mode, { ...key, secret: Buffer.from('not-the-secret').toString('base64') });
      expect(wrong).toEqual({ ok: false, message: EXCHANGE_ERROR_MESSAGES.AUTH_FAILED });
      w.ex.permissions.delete('query-funds');
      expect(await w.h.engine.facade.checkKey('kraken', mode, key)).toEqual({ ok: false, message: EXCHANGE_ERROR_MESSAGES.PERMISSION_DENIED });
    });

    it('signal → entry → three partial take profits → trailing exit: quantities and P&L from Kraken\'s fills (fees in USDT), the backstop following and gone at the end', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      const [entry] = w.ex.book.trades;
      expect(entry).toMatchObject({ type: 'buy', ordertype: 'market', price: 50_000, feeAsset: 'USDT', leverage: mode === 'margin' ? 3 : undefined });
      expect(entry!.fee).toBeCloseTo(entry!.vol * 50_000 * TAKER_FEE, 8);
      // the fee is paid in USDT: the bot holds what was bought, to the last satoshi
      expect(p.qty).toBe(entry!.vol);
      expect(held(w)).toBe(p.qty);
      const [entryOrder] = w.ex.book.orders;
      expect(entryOrder!.clOrdId).toMatch(/^[0-9a-f]{32}$/);
      const [stop] = liveStops(w);
      expect(liveStops(w)).toHaveLength(backstop ? 1 : 0);
      if (backstop) {
        expect(stop).toMatchObject({ ordertype: 'stop-loss-limit', type: 'sell', vol: p.qty, clOrdId: krakenSpotClientId(backstopClientId(p.id, 1)), leverage: undefined });
        expect(stop!.price!).toBeLessThan(p.stopLoss!);
        expect(stop!.price2!).toBeCloseTo(Math.floor(stop!.price! * 0.99 * 10) / 10, 6);
        // it holds the coins: nothing else may sell them
        expect(w.ex.book.available('XXBT')).toBe(0);
      }

      for (const [i, price] of PATH.entries()) {
        setPrice(w, price);
        await w.h.engine.settle();
        if (i === 1 && backstop) {
          const [now] = await w.h.engine.facade.listPositions(w.userId);
          const live = liveStops(w);
          expect(live).toHaveLength(1);
          expect(live[0]!.vol).toBeCloseTo(now!.qty, 8);
          expect(stop!.status).toBe('canceled');
        }
      }

      const exits = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id)).orderBy(trades.createdAt);
      expect(exits.map((t) => t.closeReason)).toEqual(['partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
      const sells = w.ex.book.trades.filter((t) => t.type === 'sell');
      expect(sells).toHaveLength(4);
      let total = 0;
      exits.forEach((t, i) => {
        const fill = sells[i]!;
        expect(fill.feeAsset).toBe('USDT');
        // a margin exit is an opposite order with leverage (Kraken takes any level) that closes the lot, never a sale of coins
        if (mode === 'margin') expect(fill).toMatchObject({ leverage: expect.any(Number), misc: 'closing' });
        const pnl = (fill.price - p.entryPrice) * fill.vol - fill.fee - (entry!.fee * fill.vol) / p.qty;
        expect(Number(t.quantity)).toBeCloseTo(fill.vol, 12);
        expect(Number(t.exitPrice)).toBe(fill.price);
        expect(Number(t.pnl)).toBeCloseTo(pnl, 8);
        total += Number(t.pnl);
      });
      expect(exits.map((t) => Number(t.exitPrice))).toEqual([PATH[1], PATH[2], PATH[3], PATH[6]]);
      // nothing left, and the bot's total is the account's own change in USDT
      expect(held(w)).toBeCloseTo(0, 12);
      expect(w.ex.book.cash('USDT') - START_USDT).toBeCloseTo(total, 6);
      const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
      expect(row).toMatchObject({ status: 'closed', closeReason: 'trailing_stop' });
      expect(Number(row!.realizedPnl)).toBeCloseTo(total, 8);
      expect(liveStops(w)).toEqual([]);
      const stops = w.ex.book.orders.filter((o) => o.ordertype === 'stop-loss-limit');
      expect(stops.every((o) => o.status === 'canceled')).toBe(true);
      expect(stops).toHaveLength(backstop ? 4 : 0); // placed, then resized after each partial take profit
      expect(w.h.notifier.ofKind('order_failed')).toEqual([]);
      // every signed call passed Kraken's key, signature and growing-nonce checks; no sell met coins the stop held
      expect(w.ex.refusals).toEqual([]);
    });

    it('a restart reconciles without placing anything twice; a button close cancels the backstop, sells and records it', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      const [stop] = liveStops(w);
      const ordersBefore = w.ex.book.orders.length;
      await restart(w);
      const [again] = await w.h.engine.facade.listPositions(w.userId);
      expect(again).toMatchObject({ id: p.id, qty: p.qty });
      if (backstop) expect(again!.exchangeStop).toEqual({ stopPrice: stop!.price });
      expect(liveStops(w)).toEqual(backstop ? [stop] : []);
      expect(w.ex.book.orders).toHaveLength(ordersBefore);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);

      setPrice(w, 50_200);
      const closed = await w.h.engine.facade.closePosition({ telegramId: KRAKEN_SPOT_TELEGRAM_ID }, w.userId, p.id, 1);
      expect(closed.ok).toBe(true);
      if (backstop) expect(stop!.status).toBe('canceled');
      expect(liveStops(w)).toEqual([]);
      expect(held(w)).toBeCloseTo(0, 12);
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'manual' });
      expect(Number(rows[0]!.exitPrice)).toBe(50_200);
      const sell = w.ex.book.trades.at(-1)!;
      expect(Number(rows[0]!.pnl)).toBeCloseTo((50_200 - p.entryPrice) * sell.vol - sell.fee - w.ex.book.trades[0]!.fee, 8);
    });

    it('a position closed by hand on Kraken while the bot is away: at restart booked closed_on_exchange at the fill price, the trader told once', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      await w.h.engine.stop();
      setPrice(w, 50_400);
      // the trader, on Kraken's own screen, cancels the stop (it holds the coins) and sells it all
      for (const stop of liveStops(w)) w.ex.book.cancel({ txid: stop.txid });
      w.ex.book.addOrder({ pair: PAIR, type: 'sell', ordertype: 'market', volume: p.qty.toFixed(8), ...(mode === 'margin' ? { leverage: '3', reduce_only: 'true' } : {}) });
      expect(held(w)).toBeCloseTo(0, 12);
      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      await w.h.engine.settle();
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'closed_on_exchange', source: 'reconcile' });
      expect(Number(rows[0]!.exitPrice)).toBe(50_400);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      expect(liveStops(w)).toEqual([]);
      expect(w.h.notifier.ofKind('action_needed')).toHaveLength(1);
    });

    it(`Appendix B: the trader spends the USDT by hand just before the entry lands → Kraken's "${mode === 'spot' ? 'EOrder:Insufficient funds' : 'EOrder:Margin level too low'}" told as "${mode === 'spot' ? 'Insufficient funds' : 'Margin level too low'}", no position`, async () => {
      const w = (world = await make());
      w.ex.onNext('AddOrder', () => w.ex.book.setCash('USDT', 5));
      await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
      for (const start = Date.now(); w.h.notifier.ofKind('order_failed').length === 0 && Date.now() - start < 10_000; ) await new Promise((r) => setTimeout(r, 50));
      await w.h.engine.settle();
      const [failed] = w.h.notifier.ofKind('order_failed');
      expect(failed!.message).toContain(mode === 'spot' ? EXCHANGE_ERROR_MESSAGES.INSUFFICIENT_FUNDS : EXCHANGE_ERROR_MESSAGES.MARGIN_LEVEL_TOO_LOW);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      expect(w.ex.book.orders).toEqual([]);
    });
  });

  describe('margin level', { timeout: 90_000 }, () => {
    it('Kraken\'s margin positions carry no liquidation price: the bot derives it from TradeBalance\'s margin level (liquidation at 40 %)', async () => {
      const w = (world = await createKrakenSpotWorld(kind, 'margin', { leverage: 3 }));
      const p = await openLong(w);
      const [lot] = w.ex.book.openLots();
      // the trader moves most of the USDT away: the account's cushion is now thin
      w.ex.book.setCash('USDT', lot!.margin * 1.5);
      await restart(w);
      const { ml } = w.ex.book.tradeBalance();
      expect(ml).toBeCloseTo(150, 6);
      const [view] = await w.h.engine.facade.listPositions(w.userId);
      // the position's share of the cushion above 40 %: margin × (150 − 40) / 100, spread over its volume
      expect(view!.liquidationPrice).toBeCloseTo(50_000 - (lot!.margin * (150 - 40)) / 100 / p.qty, 4);
      expect(w.ex.count('TradeBalance')).toBeGreaterThan(0);
    });
  });

  describe('spot backstop', { timeout: 90_000 }, () => {
    it('the backstop fires while the bot is away: Kraken sells the coins; at restart exchange_stop is recorded once from the fill', async () => {
      const w = (world = await createKrakenSpotWorld(kind, 'spot'));
      const p = await openLong(w);
      const [stop] = liveStops(w);
      await w.h.engine.stop();
      for (const price of [49_500, 49_000, stop!.price! + 20, stop!.price! - 50]) w.ex.setPrice(PAIR, price);
      expect(stop).toMatchObject({ status: 'closed', triggered: true, volExec: p.qty });
      expect(held(w)).toBe(0);
      const fill = w.ex.book.trades.at(-1)!;
      expect(fill).toMatchObject({ ordertxid: stop!.txid, price: stop!.price! - 50 });

      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'exchange_stop' });
      expect(Number(rows[0]!.exitPrice)).toBe(fill.price);
      expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 12);
      expect(Number(rows[0]!.pnl)).toBeCloseTo((fill.price - p.entryPrice) * fill.vol - fill.fee - w.ex.book.trades[0]!.fee, 8);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      await restart(w);
      expect(await w.db.db.select().from(trades).where(eq(trades.positionId, p.id))).toHaveLength(1);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
    });
  });
});
