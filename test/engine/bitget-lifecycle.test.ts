/**
 * Bitget spot and USDT-M through real ccxt against the Bitget emulator, the engine on a real
 * database: the key check of /connect (passphrase, withdrawal authority), a restart that finds the
 * position and its backstop, a close done by hand on the exchange while the bot was down, the
 * Close button, Bitget's insufficient-balance answer as the trader reads it (Appendix B), and the
 * backstop firing while the bot is away (recorded once as exchange_stop) or refused (position kept).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { formatPosition } from '../../src/telegram/format/positions.ts';
import { databaseKinds } from '../support/databases.ts';
import { BITGET_TELEGRAM_ID, closeBitgetWorld, createBitgetWorld, open, restart, setPrice, type BitgetWorld } from './bitget-world.ts';
import { removeOwnAccount } from '../support/accounts.ts';

// a first test loads ccxt's Bitget class and the database snapshot: slow on a loaded machine
vi.setConfig({ testTimeout: 90_000 });

let world: BitgetWorld | undefined;
afterEach(async () => {
  if (world) await closeBitgetWorld(world);
  world = undefined;
});

const actor = { telegramId: BITGET_TELEGRAM_ID };
const liveStops = (w: BitgetWorld) => w.ex.book.plans.filter((p) => p.status === 'live');
const kinds = (w: BitgetWorld) => w.h.notifier.events.map((e) => e.kind);
const tradesOf = (w: BitgetWorld, positionId: string) => w.db.db.select().from(trades).where(eq(trades.positionId, positionId));
/** what the exchange holds of BTC for the account: the spot coins, or the USDT-M position */
const held = (w: BitgetWorld) => (w.mode === 'spot' ? w.ex.book.spot('BTC').available + w.ex.book.spot('BTC').frozen : (w.ex.book.positions.get('BTCUSDT')?.total ?? 0));
/** 0.1 % in the coin bought (spot), 0.06 % in USDT (USDT-M) */
const exitFeeRate = (w: BitgetWorld) => (w.mode === 'spot' ? 0.001 : 0.0006);
const entryFee = (w: BitgetWorld) => (w.mode === 'spot' ? 0.00002 * 50_000 : 0.02 * 50_000 * 0.0006);

describe.each(databaseKinds())('Bitget lifecycle on %s', (kind) => {
  describe.each(['spot', 'futures'] as const)('%s', (mode) => {
    it('connect: the key is checked with its passphrase; a withdrawal authority is reported; a wrong passphrase is refused', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      // checked as a new key: the world's own account (on this key) is removed first, else it is refused as already connected
      await removeOwnAccount(w.db.db, w.h.engine.facade, w.userId, w.accountId);
      const key = { apiKey: w.ex.apiKey, secret: w.ex.secret, password: w.ex.passphrase };
      expect(await w.h.engine.facade.checkKey('bitget', mode, key)).toEqual({ ok: true, canWithdraw: false });
      w.ex.key.authorities = ['readonly', 'trade', 'withdraw'];
      expect(await w.h.engine.facade.checkKey('bitget', mode, key)).toEqual({ ok: true, canWithdraw: true });
      const wrong = await w.h.engine.facade.checkKey('bitget', mode, { ...key, password: 'not-the-passphrase' });
      expect(wrong.ok).toBe(false);
      expect(wrong.message).toMatch(/rejected the API key/);
    });

    it('a restart finds the open position and its resting backstop (none placed twice) and keeps monitoring it', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const p = await open(w);
      await restart(w);
      const [again] = await w.h.engine.facade.listPositions(w.userId);
      expect(again).toMatchObject({ id: p.id, qty: p.qty, exchangeStop: { stopPrice: 48_755 } });
      expect(w.ex.book.plans).toHaveLength(1);
      expect(liveStops(w)).toHaveLength(1);
      setPrice(w, 48_900); // below the bot's stop loss (49 000): the restarted monitor closes it
      await w.h.engine.settle();
      const rows = await tradesOf(w, p.id);
      expect(rows.map((t) => t.closeReason)).toEqual(['stop_loss']);
      expect(held(w)).toBeCloseTo(0, 12);
      expect(liveStops(w)).toEqual([]);
    });

    it('closed by hand on the exchange while the bot was down: booked at the exchange fill as closed_on_exchange, the stop cancelled', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const p = await open(w);
      await w.h.engine.stop();
      w.ex.setPrice('BTCUSDT', 50_500);
      if (mode === 'spot') w.ex.book.placeSpotMarket({ symbol: 'BTCUSDT', side: 'sell', size: p.qty });
      else w.ex.book.placeMixMarket({ symbol: 'BTCUSDT', side: 'sell', size: p.qty, marginMode: 'crossed', reduceOnly: true });
      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await tradesOf(w, p.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'closed_on_exchange', source: 'reconcile' });
      expect(Number(rows[0]!.exitPrice)).toBe(50_500);
      expect(Number(rows[0]!.pnl)).toBeCloseTo(500 * p.qty - 50_500 * p.qty * exitFeeRate(w) - entryFee(w), 9);
      expect(liveStops(w)).toEqual([]);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    });

    it('the Close button sells exactly what the position holds, cancels the stop, and records the manual exit', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const p = await open(w);
      setPrice(w, 50_200);
      await w.h.engine.settle();
      const half = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 0.5);
      expect(half.ok).toBe(true);
      expect(held(w)).toBeCloseTo(p.qty / 2, 12);
      expect(liveStops(w)).toMatchObject([{ size: p.qty / 2 }]);
      expect((await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1)).ok).toBe(true);
      expect(held(w)).toBeCloseTo(0, 12);
      expect(liveStops(w)).toEqual([]);
      const rows = await tradesOf(w, p.id);
      expect(rows.map((t) => [t.closeReason, Number(t.quantity)])).toEqual([
        ['manual', expect.closeTo(p.qty / 2, 12)],
        ['manual', expect.closeTo(p.qty / 2, 12)],
      ]);
      const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
      expect(row).toMatchObject({ status: 'closed', closeReason: 'manual' });
      expect(kinds(w)).not.toContain('order_failed');
    });

    it("Bitget's insufficient balance (Appendix B: Insufficient funds → check wallet) reaches the trader in plain words; nothing opens", async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const [code, msg] = mode === 'spot' ? ['43012', 'Insufficient balance'] : ['40762', 'The order amount exceeds the balance'];
      w.ex.inject({ method: 'POST', path: mode === 'spot' ? '/api/v2/spot/trade/place-order' : '/api/v2/mix/order/place-order', fault: { kind: 'reject', code, msg } });
      await w.h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, userId: w.userId });
      for (let i = 0; i < 50 && w.h.notifier.ofKind('order_failed').length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await w.h.engine.settle();
      }
      const [failed] = w.h.notifier.ofKind('order_failed');
      expect(failed?.message).toContain('Insufficient funds: not enough balance for this order. Check your wallet.');
      expect(failed?.message).not.toContain(code); // the exchange's raw answer stays in the log
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
      expect(held(w)).toBe(0);
    });

    it('the backstop fires while the bot is down: at restart exchange_stop is recorded once, priced from the fill, one alert', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const p = await open(w);
      await w.h.engine.stop();
      for (const price of [49_500, 49_000, 48_800, 48_700]) w.ex.setPrice('BTCUSDT', price);
      expect(held(w)).toBeCloseTo(0, 12);
      const fired = w.ex.book.plans[0]!;
      expect(fired).toMatchObject({ status: 'executed', executeOrderId: expect.any(String) });
      w.h.engine = w.h.newEngine();
      await w.h.engine.start();
      const rows = await tradesOf(w, p.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ closeReason: 'exchange_stop', source: 'reconcile' });
      expect(Number(rows[0]!.exitPrice)).toBe(48_700);
      expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 12);
      expect(Number(rows[0]!.pnl)).toBeCloseTo(-1_300 * p.qty - 48_700 * p.qty * exitFeeRate(w) - entryFee(w), 9);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      await restart(w);
      expect(await tradesOf(w, p.id)).toHaveLength(1);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
      expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
      expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    });

    it('a gap through the bot stop and the backstop while the bot is up: the exchange sold first, recorded once, nothing sold twice', async () => {
      const w = (world = await createBitgetWorld(mode, { kind }));
      const p = await open(w);
      setPrice(w, 48_500); // the emulator fires the stop at once; the bot's stop loss fires on the same tick
      await w.h.engine.settle();
      const rows = await tradesOf(w, p.id);
      expect(rows.map((t) => t.closeReason)).toEqual(['exchange_stop']);
      expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 12);
      expect(w.ex.book.orders.filter((o) => o.side === 'sell')).toHaveLength(1);
      expect(held(w)).toBeCloseTo(0, 12);
      expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
    });
  });

  it('futures: a stop Bitget refuses (40917, at or above the mark price) keeps the position under the bot, and the trader is told once', async () => {
    // 125× isolated: liquidation 0.4 % away, so a stop inside it sits above the price
    const w = (world = await createBitgetWorld('futures', { kind, settings: { leverage: 125, riskLevel: 10 }, marginMode: 'isolated' }));
    const p = await open(w);
    expect(liveStops(w)).toEqual([]);
    expect(w.ex.count('/api/v2/mix/order/place-tpsl-order', 'POST')).toBe(1);
    expect(p).toMatchObject({ status: 'open', exchangeStop: { stopPrice: null } });
    const told = w.h.notifier.ofKind('action_needed').map((e) => e.message);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/is not protected on the exchange: the exchange refused a stop at .* \(too far from or already past the price\)/);
    expect(formatPosition(p, new Date())).toContain('⚠️ Not protected on the exchange');
    expect(held(w)).toBeCloseTo(p.qty, 12);
  });
});
