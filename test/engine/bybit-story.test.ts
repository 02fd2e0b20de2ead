/**
 * The full story on Bybit v5 for every mode /connect offers (spot, spot margin, USDT perpetuals
 * cross and isolated), at the protocol edge: real ccxt against the Bybit emulator, the engine on a
 * real database. Signal → entry → three partial take-profits → trailing exit with the exact P&L of
 * the exchange's fills; a restart (reconciliation) then a button close; the backstop amended in
 * place and fired while the bot was away (exchange_stop once); an Appendix B error told to the trader.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import type { MarginMode, TradingMode } from '../../src/exchange/port.ts';
import { databaseKinds } from '../support/databases.ts';
import { BYBIT_TELEGRAM_ID, closeBybitWorld, createBybitWorld, openFromSignal, restart, setPrice, type BybitWorld } from './bybit-world.ts';

interface Case {
  name: string;
  mode: TradingMode;
  marginMode?: MarginMode;
  leverage: number;
  /** fee rate of a fill: spot 0.1 % (a buy's in ETH), perpetuals 0.055 % in USDT */
  fee: number;
  /** ETH held after the entry of 10 ETH at 100 */
  held: number;
  /** the entry's fee in USDT (spot: 0.01 ETH at 100) */
  entryFee: number;
  /** the exits' quantities: Bybit's steps (spot 0.00001 ETH, perpetual 0.01) truncate each */
  exits: number[];
  backstop: boolean;
}

const SPOT_EXITS = [2.4975, 3.74625, 2.80968, 0.93657];
const PERP_EXITS = [2.5, 3.75, 2.81, 0.94];
const CASES: Case[] = [
  { name: 'spot', mode: 'spot', leverage: 1, fee: 0.001, held: 9.99, entryFee: 1, exits: SPOT_EXITS, backstop: true },
  { name: 'spot margin (cross)', mode: 'margin', marginMode: 'cross', leverage: 1, fee: 0.001, held: 9.99, entryFee: 1, exits: SPOT_EXITS, backstop: false },
  { name: 'perpetual cross', mode: 'futures', marginMode: 'cross', leverage: 1, fee: 0.00055, held: 10, entryFee: 0.55, exits: PERP_EXITS, backstop: true },
  { name: 'perpetual isolated 5×', mode: 'futures', marginMode: 'isolated', leverage: 5, fee: 0.00055, held: 10, entryFee: 0.55, exits: PERP_EXITS, backstop: true },
];
const PATH = [100.6, 101.2, 102.2, 103.2, 104, 103.5, 102.9];
const EXIT_PRICES = [101.2, 102.2, 103.2, 102.9];
const actor = { telegramId: BYBIT_TELEGRAM_ID };
/** ms: a story runs many exchange round trips; the shared machine is often loaded (no timing is asserted) */
const SLOW = 120_000;

/** net P&L of an exit of `qty` at `price`: gross − its fee − the entry fee's share */
const netPnl = (c: Case, qty: number, price: number) => (price - 100) * qty - qty * price * c.fee - (c.entryFee * qty) / c.held;
const conditional = (w: BybitWorld) => w.ex.book.orders.filter((o) => o.triggerPrice > 0);
const tradeRows = (w: BybitWorld, positionId: string) => w.db.db.select().from(trades).where(eq(trades.positionId, positionId)).orderBy(trades.createdAt);

describe.each(databaseKinds())('Bybit story on %s', (kind) => {
  let w: BybitWorld | undefined;
  afterEach(async () => {
    if (w) await closeBybitWorld(w);
    w = undefined;
  });
  const world = (c: Case, usdt?: number) => createBybitWorld({ kind, mode: c.mode, ...(c.marginMode ? { marginMode: c.marginMode } : {}), settings: { leverage: c.leverage }, ...(usdt ? { usdt } : {}) });

  describe.each(CASES)('$name', (c) => {
    it('signal → entry → partial take-profits → trailing exit: trades carry the exact P&L of the fills', async () => {
      w = await world(c);
      const p = await openFromSignal(w);
      // 2 % risk of 10 000 over a 2 % stop, calm ×1.2, confidence ×0.8, capped at 1 000 USDT: 10 ETH at 100
      expect(p).toMatchObject({ exchange: 'bybit', mode: c.mode, entryPrice: 100, qtyInitial: c.held, stopLoss: 98 });
      const entry = w.ex.book.orders[0]!;
      expect(entry).toMatchObject({ side: 'Buy', qty: 10, orderStatus: 'Filled', isLeverage: c.mode === 'margin' ? 1 : 0 });
      if (c.backstop) expect(conditional(w)).toMatchObject([{ orderStatus: 'Untriggered', side: 'Sell', qty: c.held, triggerPrice: 97.51 }]);
      else expect(p.exchangeStop).toMatchObject({ stopPrice: null, problem: 'the bot places no stop on bybit margin.' });

      for (const price of PATH) {
        setPrice(w, price);
        await w.h.engine.settle();
      }
      const rows = await tradeRows(w, p.id);
      expect(rows.map((t) => t.closeReason)).toEqual(['partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
      expect(rows.map((t) => Number(t.quantity))).toEqual(c.exits);
      expect(rows.map((t) => Number(t.exitPrice))).toEqual(EXIT_PRICES);
      rows.forEach((t, i) => expect(Number(t.pnl)).toBeCloseTo(netPnl(c, c.exits[i]!, EXIT_PRICES[i]!), 9));
      const total = rows.reduce((sum, t) => sum + Number(t.pnl), 0);
      const [closed] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
      expect(closed).toMatchObject({ status: 'closed', closeReason: 'trailing_stop' });
      expect(Number(closed!.realizedPnl)).toBeCloseTo(total, 9);

      // the exchange agrees: every exit filled once at those prices, the account flat
      const sells = w.ex.book.executions.filter((e) => e.side === 'Sell');
      expect(sells.map((e) => [e.execQty, e.execPrice])).toEqual(c.exits.map((q, i) => [q, EXIT_PRICES[i]]));
      if (c.mode === 'futures') {
        expect(w.ex.book.position('ETHUSDT').size).toBe(0);
        expect(w.ex.book.coin('USDT')).toBeCloseTo(10_000 + total, 6);
      } else {
        expect(w.ex.book.coin('ETH')).toBeCloseTo(c.held - c.exits.reduce((a, b) => a + b, 0), 12); // all 9.99 sold: no step dust left
        expect(w.ex.book.coin('USDT')).toBeCloseTo(10_000 - 1_000 + c.exits.reduce((sum, q, i) => sum + q * EXIT_PRICES[i]! * (1 - c.fee), 0), 6);
      }
      if (c.backstop) {
        // one conditional order all along: resized and trailed by amendments in place, cancelled at the close
        expect(conditional(w)).toHaveLength(1);
        expect(conditional(w)[0]).toMatchObject({ orderStatus: 'Deactivated', qty: c.exits[3] });
        expect(w.ex.count('/v5/order/amend', 'POST')).toBeGreaterThanOrEqual(3);
      }
      expect(w.h.notifier.events.map((e) => e.kind)).toEqual(['position_opened', 'partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
    }, SLOW);

    it('a restart reconciles without a second order; the Close button then sells the rest', async () => {
      w = await world(c);
      const p = await openFromSignal(w);
      setPrice(w, 101.2);
      await w.h.engine.settle();
      const creates = w.ex.count('/v5/order/create', 'POST');
      await restart(w);
      expect(w.ex.count('/v5/order/create', 'POST')).toBe(creates); // the stop is looked up, not placed again
      const [after] = await w.h.engine.facade.listPositions(w.userId);
      expect(after).toMatchObject({ id: p.id, qty: c.held - c.exits[0]!, partialTaken: [true, false, false] });
      if (c.backstop) expect(conditional(w).filter((o) => o.orderStatus === 'Untriggered')).toMatchObject([{ qty: c.held - c.exits[0]! }]);

      expect((await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1)).ok).toBe(true);
      const rows = await tradeRows(w, p.id);
      expect(rows.map((t) => t.closeReason)).toEqual(['partial_tp', 'manual']);
      const rest = c.held - c.exits[0]!;
      expect(Number(rows[1]!.quantity)).toBeCloseTo(rest, 12);
      expect(Number(rows[1]!.pnl)).toBeCloseTo(netPnl(c, rest, 101.2), 9);
      expect(conditional(w).filter((o) => o.orderStatus === 'Untriggered')).toEqual([]);
      if (c.mode === 'futures') expect(w.ex.book.position('ETHUSDT').size).toBe(0);
      else expect(w.ex.book.coin('ETH')).toBeCloseTo(0, 12);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    }, SLOW);

    it('closed on Bybit by the trader while the bot was away: booked at Bybit’s fill at restart, its stop cancelled', async () => {
      w = await world(c);
      const p = await openFromSignal(w);
      await w.h.engine.stop();
      setPrice(w, 103);
      // the trader sells it all in Bybit's app
      w.ex.book.placeOrder({ category: c.mode === 'futures' ? 'linear' : 'spot', symbol: 'ETHUSDT', side: 'Sell', orderType: 'Market', qty: String(c.held), reduceOnly: c.mode === 'futures', isLeverage: c.mode === 'margin' ? 1 : 0 });
      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await tradeRows(w, p.id);
      expect(rows.map((t) => [t.closeReason, Number(t.quantity), Number(t.exitPrice), t.source])).toEqual([['closed_on_exchange', c.held, 103, 'reconcile']]);
      expect(Number(rows[0]!.pnl)).toBeCloseTo(netPnl(c, c.held, 103), 9);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      w.h.clock.advance(181_000);
      await w.h.engine.sweepPositions();
      expect(conditional(w).filter((o) => o.orderStatus === 'Untriggered')).toEqual([]);
    }, SLOW);

    if (c.mode === 'margin') it('a short on spot margin: partial buy-backs repay exactly the 10 ETH borrowed (their fee is taken in ETH)', async () => {
      w = await world(c);
      const p = await openFromSignal(w, 'SELL');
      expect(p).toMatchObject({ side: 'short', qtyInitial: 10, entryPrice: 100 });
      expect(w.ex.book.coin('ETH')).toBe(-10);
      for (const price of [99.4, 98.8, 97.8, 96.8, 96, 96.5, 97.1]) {
        setPrice(w, price);
        await w.h.engine.settle();
      }
      const rows = await tradeRows(w, p.id);
      expect(rows.map((t) => [t.closeReason, Number(t.exitPrice)])).toEqual([['partial_tp', 98.8], ['partial_tp', 97.8], ['partial_tp', 96.8], ['trailing_stop', 97.1]]);
      const buys = w.ex.book.executions.filter((e) => e.side === 'Buy');
      // each trade closes what its buy-back received (bought less the 0.1 % taken in ETH); the last
      // buys the rest of the debt grossed up to the step, so it closes what was left
      rows.forEach((t, i) => {
        const bought = buys[i]!.execQty;
        const received = bought * (1 - 0.001);
        const qty = Number(t.quantity);
        if (i < 3) expect(qty).toBeCloseTo(received, 12);
        else expect(qty).toBeLessThanOrEqual(received);
        expect(Number(t.pnl)).toBeCloseTo((100 - buys[i]!.execPrice) * qty - bought * 0.001 * buys[i]!.execPrice - (1 * qty) / 10, 9);
      });
      expect(rows.reduce((sum, t) => sum + Number(t.quantity), 0)).toBeCloseTo(10, 9);
      expect(w.ex.book.liabilitiesValue()).toBe(0); // no debt left behind on Bybit
      expect(w.ex.book.coin('ETH')).toBeGreaterThanOrEqual(0);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    }, SLOW);

    it('Appendix B "Rate limit exceeded": an entry Bybit keeps refusing with 10006 reaches the trader as that message', async () => {
      w = await world(c);
      w.ex.inject({ method: 'POST', path: '/v5/order/create', times: 20, fault: { kind: 'rate-limit' } });
      await w.h.insertSignal({ symbol: 'ETH/USDT', action: 'BUY', confidence: 0.8, userId: w.userId });
      for (let i = 0; i < 50 && w.h.notifier.ofKind('order_failed').length === 0; i++) await w.h.engine.settle().then(() => new Promise((r) => setTimeout(r, 20)));
      const [failed] = w.h.notifier.ofKind('order_failed');
      expect(failed?.message).toMatch(/Rate limit exceeded: too many requests to the exchange/);
      expect(w.ex.book.orders).toEqual([]);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    }, SLOW);

    if (c.backstop) it('the backstop fires while the bot is away: at restart exchange_stop is recorded once from the fill, one alert', async () => {
      w = await world(c);
      const p = await openFromSignal(w);
      await w.h.engine.stop();
      w.ex.setPrice('ETHUSDT', 99);
      w.ex.setPrice('ETHUSDT', 97); // through the bot's stop (98) and the backstop (97.51) while nothing watches
      expect(conditional(w)[0]).toMatchObject({ orderStatus: 'Filled', cumExecQty: c.held, avgPrice: 97 });

      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await tradeRows(w, p.id);
      expect(rows.map((t) => [t.closeReason, Number(t.quantity), Number(t.exitPrice)])).toEqual([['exchange_stop', c.held, 97]]);
      expect(Number(rows[0]!.pnl)).toBeCloseTo(netPnl(c, c.held, 97), 9);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      await restart(w);
      expect(await tradeRows(w, p.id)).toHaveLength(1);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
    }, SLOW);
  });
});
