/**
 * The whole story on OKX v5, for every mode /connect offers there (spot; spot margin and USDT
 * swaps, each in cross and isolated margin): real ccxt against the OKX emulator,
 * the engine on a real database. Connect (key check with the withdrawal right), signal → entry →
 * partial take profits → trailing exit with the P&L the exchange's own fills give, a restart that
 * reconciles without placing anything twice, a button close, an Appendix B error in the trader's
 * words, and the backstop (spot and swaps; margin has none) firing while the bot is away
 * (exchange_stop recorded once).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { backstopClientId } from '../../src/engine/backstop.ts';
import { EXCHANGE_ERROR_MESSAGES } from '../../src/exchange/port.ts';
import { databaseKinds } from '../support/databases.ts';
import { closeOkxWorld, createOkxWorld, liveAlgos, openLong, restart, setPrice, START_USDT, TELEGRAM_ID, type OkxWorld } from './okx-world.ts';
import { removeOwnAccount } from '../support/accounts.ts';

const MODES = [
  { mode: 'spot', marginMode: undefined },
  { mode: 'margin', marginMode: 'cross' },
  { mode: 'margin', marginMode: 'isolated' },
  { mode: 'futures', marginMode: 'cross' },
  { mode: 'futures', marginMode: 'isolated' },
] as const;
/** the modes with a backstop on OKX (margin has none: the bot's monitor alone protects it) */
const BACKSTOP_MODES = MODES.filter((m) => m.mode !== 'margin');
const PATH = [1.006, 1.012, 1.022, 1.032, 1.04, 1.035, 1.029].map((f) => Math.round(50_000 * f * 10) / 10);

/** the exchange's holding in BTC: coins on spot, margin positions, contracts × 0.01 on swaps */
function held(w: OkxWorld): number {
  if (w.mode === 'futures') return Math.abs([...w.ex.book.positions.values()].reduce((s, p) => s + p.pos, 0)) * 0.01;
  if (w.mode === 'margin') return [...w.ex.book.marginPositions.values()].reduce((s, p) => s + p.qty, 0);
  return w.ex.book.cash('BTC');
}

let world: OkxWorld | undefined;
afterEach(async () => {
  if (world) await closeOkxWorld(world);
  world = undefined;
});

describe.each(databaseKinds())('OKX story on %s', (kind) => {
  // real ccxt, a database and the emulator per test: generous on a loaded machine
  describe.each(MODES)('$mode $marginMode', { timeout: 90_000 }, ({ mode, marginMode }) => {
    const make = (settings = {}) => createOkxWorld(kind, mode, { ...(marginMode ? { marginMode } : {}), settings });
    const swap = mode === 'futures';
    const backstop = mode !== 'margin';
    const instId = swap ? 'BTC-USDT-SWAP' : 'BTC-USDT';

    it('connect: the key check reads the balance and account/config perm; a withdrawal right and a wrong passphrase are reported', async () => {
      const w = (world = await make());
      // checked as a new key: the world's own account (on this key) is removed first, else it is refused as already connected
      await removeOwnAccount(w.db.db, w.h.engine.facade, w.userId, w.accountId);
      const key = { apiKey: w.ex.apiKey, secret: w.ex.secret, password: w.ex.passphrase };
      expect(await w.h.engine.facade.checkKey('okx', mode, key)).toEqual({ ok: true, canWithdraw: false });
      w.ex.key.perm = 'read_only,trade,withdraw';
      expect(await w.h.engine.facade.checkKey('okx', mode, key)).toEqual({ ok: true, canWithdraw: true });
      const wrong = await w.h.engine.facade.checkKey('okx', mode, { ...key, password: 'not-it' });
      expect(wrong.ok).toBe(false);
      expect(wrong.message).toMatch(/rejected the API key/);
    });

    it('signal → entry → three partial take profits → trailing exit: quantities and P&L from the exchange fills, the backstop following and gone at the end', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      const [entryFill] = w.ex.book.fills;
      expect(entryFill).toMatchObject({ instId, side: 'buy', fillPx: 50_000 });
      // what the account holds is what the bot holds: spot and margin after the fee taken in BTC
      expect(p.qty).toBeCloseTo(held(w), 12);
      if (!swap) expect(entryFill!.feeCcy).toBe('BTC');
      if (mode === 'margin') expect(w.ex.book.orders[0]).toMatchObject({ tdMode: marginMode });
      const entryFeeUsdt = swap ? -entryFill!.fee : -entryFill!.fee * entryFill!.fillPx;
      const [stop] = liveAlgos(w);
      expect(liveAlgos(w)).toHaveLength(backstop ? 1 : 0);
      if (backstop) {
        expect(stop).toMatchObject({ ordType: 'conditional', side: 'sell', algoClOrdId: backstopClientId(p.id, 1), reduceOnly: swap, tdMode: swap ? marginMode : 'cash' });
        expect(stop!.sz).toBeCloseTo(swap ? p.qty / 0.01 : p.qty, 9);
        expect(stop!.slTriggerPx).toBeLessThan(p.stopLoss!);
      }

      for (const [i, price] of PATH.entries()) {
        setPrice(w, price);
        await w.h.engine.settle();
        if (i === 1 && backstop) {
          // the first partial take profit: the backstop resized in place to what is left (amend-algos: the same algo order)
          const [now] = await w.h.engine.facade.listPositions(w.userId);
          const live = liveAlgos(w);
          expect(live).toEqual([stop]);
          expect(stop!.sz).toBeCloseTo(swap ? now!.qty / 0.01 : now!.qty, 9);
          expect(w.ex.requests.filter((r) => r.path === '/api/v5/trade/amend-algos')).toHaveLength(1);
        }
      }

      const exits = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id)).orderBy(trades.createdAt);
      expect(exits.map((t) => t.closeReason)).toEqual(['partial_tp', 'partial_tp', 'partial_tp', 'trailing_stop']);
      const sells = w.ex.book.fills.filter((f) => f.side === 'sell');
      expect(sells).toHaveLength(4);
      let total = 0;
      exits.forEach((t, i) => {
        const fill = sells[i]!;
        const qty = swap ? fill.fillSz * 0.01 : fill.fillSz;
        const exitFee = -fill.fee; // USDT either way: a spot sell pays in the coin received
        const pnl = (fill.fillPx - p.entryPrice) * qty - exitFee - (entryFeeUsdt * qty) / p.qty;
        expect(Number(t.quantity)).toBeCloseTo(qty, 12);
        expect(Number(t.exitPrice)).toBe(fill.fillPx);
        expect(Number(t.pnl)).toBeCloseTo(pnl, 9);
        total += Number(t.pnl);
      });
      expect(exits.map((t) => Number(t.exitPrice))).toEqual([PATH[1], PATH[2], PATH[3], PATH[6]]);
      // nothing left anywhere, and the bot's total is the account's own change in USDT
      expect(held(w)).toBe(0);
      expect(w.ex.book.cash('USDT') - START_USDT).toBeCloseTo(total, 9);
      const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
      expect(row).toMatchObject({ status: 'closed', closeReason: 'trailing_stop' });
      expect(Number(row!.realizedPnl)).toBeCloseTo(total, 9);
      expect(liveAlgos(w)).toEqual([]);
      expect(w.ex.book.algos.every((a) => a.state === 'canceled')).toBe(true);
      expect(w.ex.book.algos.length).toBe(backstop ? 1 : 0); // placed once, amended after each partial take profit, cancelled at the close
      expect(w.h.notifier.ofKind('order_failed')).toEqual([]);
    });

    it('a restart reconciles without placing anything twice; a button close cancels the backstop, sells and records it', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      const [stop] = liveAlgos(w);
      const ordersBefore = w.ex.book.orders.length;
      await restart(w);
      const [again] = await w.h.engine.facade.listPositions(w.userId);
      expect(again).toMatchObject({ id: p.id, qty: p.qty });
      if (backstop) expect(again!.exchangeStop).toEqual({ stopPrice: stop!.slTriggerPx });
      expect(liveAlgos(w)).toEqual(backstop ? [stop] : []);
      expect(w.ex.count('/api/v5/trade/order-algo', 'POST')).toBe(backstop ? 1 : 0);
      expect(w.ex.book.orders).toHaveLength(ordersBefore);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);

      setPrice(w, 50_200);
      const closed = await w.h.engine.facade.closePosition({ telegramId: TELEGRAM_ID }, w.userId, p.id, 1);
      expect(closed.ok).toBe(true);
      if (backstop) expect(stop!.state).toBe('canceled');
      expect(liveAlgos(w)).toEqual([]);
      expect(held(w)).toBe(0);
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'manual' });
      expect(Number(rows[0]!.exitPrice)).toBe(50_200);
    });

    it('a position closed by hand on OKX while the bot is away: at restart booked closed_on_exchange at the fill price, its backstop cancelled, the trader told once', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      await w.h.engine.stop();
      setPrice(w, 50_400);
      // the trader sells it all on OKX's own screen
      const sz = swap ? Math.round((p.qty / 0.01) * 100) / 100 : p.qty;
      w.ex.book.placeOrder({ instId, side: 'sell', ordType: 'market', sz: String(sz), tdMode: mode === 'spot' ? 'cash' : marginMode!, ...(mode === 'spot' ? {} : { reduceOnly: true }) });
      expect(held(w)).toBeCloseTo(0, 12);
      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      await w.h.engine.settle();
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'closed_on_exchange', source: 'reconcile' });
      expect(Number(rows[0]!.exitPrice)).toBe(50_400);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      expect(liveAlgos(w)).toEqual([]);
      expect(w.h.notifier.ofKind('action_needed')).toHaveLength(1);
    });

    it(`Appendix B: the trader spends the USDT by hand just before the entry lands → ${mode === 'spot' ? '"Insufficient funds"' : '"Margin level too low"'}, no position`, async () => {
      const w = (world = await make());
      w.ex.onNext('/api/v5/trade/batch-orders', () => w.ex.book.balances.set('USDT', 5));
      await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
      for (const start = Date.now(); w.h.notifier.ofKind('order_failed').length === 0 && Date.now() - start < 10_000; ) await new Promise((r) => setTimeout(r, 50));
      await w.h.engine.settle();
      const [failed] = w.h.notifier.ofKind('order_failed');
      // spot: "Insufficient USDT balance" (51008) → Insufficient funds; margin and swaps: "Insufficient USDT margin" → Margin level too low
      expect(failed!.message).toContain(mode === 'spot' ? EXCHANGE_ERROR_MESSAGES.INSUFFICIENT_FUNDS : EXCHANGE_ERROR_MESSAGES.MARGIN_LEVEL_TOO_LOW);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      expect(w.ex.book.orders).toEqual([]);
    });
  });

  describe.each(BACKSTOP_MODES)('$mode $marginMode backstop', { timeout: 90_000 }, ({ mode, marginMode }) => {
    const make = () => createOkxWorld(kind, mode, marginMode ? { marginMode } : {});
    it('the backstop fires while the bot is away: OKX closes the position; at restart exchange_stop is recorded once from the fill', async () => {
      const w = (world = await make());
      const p = await openLong(w);
      const [stop] = liveAlgos(w);
      await w.h.engine.stop();
      for (const price of [49_500, 49_000, stop!.slTriggerPx! + 20, stop!.slTriggerPx! - 50]) {
        w.ex.setPrice('BTC-USDT', price);
        w.ex.setPrice('BTC-USDT-SWAP', price);
      }
      expect(stop).toMatchObject({ state: 'effective', actualPx: stop!.slTriggerPx! - 50 });
      expect(held(w)).toBe(0);
      const fill = w.ex.book.fills.at(-1)!;
      expect(fill.ordId).toBe(stop!.ordId);

      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'exchange_stop' });
      expect(Number(rows[0]!.exitPrice)).toBe(fill.fillPx);
      expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 12);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      await restart(w);
      expect(await w.db.db.select().from(trades).where(eq(trades.positionId, p.id))).toHaveLength(1);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
    });

  });
});
