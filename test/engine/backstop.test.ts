/**
 * SPEC §10 at the protocol edge: the backstop stop on the exchange, through real ccxt against
 * the Binance emulator, with the engine on a real database. USD-M (reduce-only STOP_MARKET on the
 * algo endpoints) and spot (STOP_LOSS_LIMIT, which locks the coins).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { positions, trades } from '../../src/db/schema.ts';
import { BACKSTOP_BUFFER, backstopClientId } from '../../src/engine/backstop.ts';
import { formatPosition } from '../../src/telegram/format/positions.ts';
import { closeWorld, createWorld, open, setPrice, trailingTicks, TELEGRAM_ID, type World } from './backstop-world.ts';

const actor = { telegramId: TELEGRAM_ID };
const floorTo = (x: number, tick: number) => Math.floor(x / tick + 1e-9) * tick;
const openAlgo = (w: World) => w.ex.book.algoOrders.filter((a) => a.algoStatus === 'NEW');
const openSpotStops = (w: World) => w.ex.book.orders.filter((o) => o.venue === 'spot' && o.type === 'STOP_LOSS_LIMIT' && o.status === 'NEW');
const kinds = (w: World) => w.h.notifier.events.map((e) => e.kind);

let world: World | undefined;
afterEach(async () => {
  if (!world) return;
  await closeWorld(world);
  world = undefined;
});

describe('backstop on Binance USD-M (real ccxt, emulator, real database)', () => {
  it('is placed right after the entry: a reduce-only STOP_MARKET for the exact quantity, 0.5 % beyond the bot stop, client id from the position', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const [stop] = openAlgo(w);
    expect(openAlgo(w)).toHaveLength(1);
    const tick = Number(w.ex.book.market('BTCUSDT').tickSize);
    expect(stop).toMatchObject({ side: 'SELL', orderType: 'STOP_MARKET', reduceOnly: true, closePosition: false, quantity: p.qty, clientAlgoId: backstopClientId(p.id, 1) });
    expect(stop!.triggerPrice).toBeCloseTo(floorTo(p.stopLoss! * (1 - BACKSTOP_BUFFER), tick), 6);
    expect(stop!.triggerPrice).toBeLessThan(p.stopLoss!);
    expect(p.exchangeStop).toEqual({ stopPrice: stop!.triggerPrice });
    expect(formatPosition(p, new Date())).toContain(`🛡 Protected on the exchange: stop at`);
  });

  it('hedge mode: the stop names the LONG side (ccxt hedged: true), no reduceOnly (Binance refuses it there)', async () => {
    const w = (world = await createWorld('futures', {}, 'cross', true));
    const p = await open(w);
    const [stop] = openAlgo(w);
    expect(stop).toMatchObject({ side: 'SELL', positionSide: 'LONG', quantity: p.qty, reduceOnly: false });
    expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
  });

  it('is resized after a partial take profit (new stop first, then the old one cancelled), and cancelled on close', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const first = openAlgo(w)[0]!;
    setPrice(w, 50_600); // +1.2 %: the first partial level (1 %) sells a quarter
    await w.h.engine.settle();
    const [after] = await w.h.engine.facade.listPositions(w.userId);
    expect(after!.qty).toBeCloseTo(p.qty * 0.75, 9);
    const live = openAlgo(w);
    expect(live).toHaveLength(1);
    expect(live[0]!.quantity).toBeCloseTo(after!.qty, 9);
    expect(first.algoStatus).toBe('CANCELED');
    expect(live[0]!.createTime).toBeLessThanOrEqual(first.updateTime); // placed before the old one went
    await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1);
    expect(openAlgo(w)).toEqual([]);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row!.status).toBe('closed');
    expect((row!.backstop as { status: string }).status).toBe('cancelled');
  });

  it('follows the stop to breakeven (once the 60 s interval passed)', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    setPrice(w, 50_300);
    await w.h.engine.settle();
    w.h.clock.advance(61_000);
    const result = await w.h.engine.facade.stopLossToBreakeven(actor, w.userId, p.id);
    expect(result.ok).toBe(true);
    const live = openAlgo(w);
    expect(live).toHaveLength(1);
    const tick = Number(w.ex.book.market('BTCUSDT').tickSize);
    expect(live[0]!.triggerPrice).toBeCloseTo(floorTo(p.entryPrice * (1 - BACKSTOP_BUFFER), tick), 6);
  });

  it('a cancel the exchange fails at close leaves the stop on a closed position: the next reconciliation cancels it', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    w.ex.inject({ method: 'DELETE', path: '/fapi/v1/algoOrder', times: 3, fault: { kind: 'server-error' } });
    expect((await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1)).ok).toBe(true);
    expect(openAlgo(w)).toHaveLength(1); // still resting after the failed cancel
    w.h.clock.advance(181_000);
    await w.h.engine.sweepPositions();
    expect(openAlgo(w)).toEqual([]);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'manual' });
    expect((row!.backstop as { status: string }).status).toBe('cancelled');
  });

  it("the trader's Adjust SL moves it, but not twice within 60 s: a move right after placement waits for the sweep", async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const first = openAlgo(w)[0]!;
    expect((await w.h.engine.facade.moveStopLoss(actor, w.userId, p.id, 49_500)).ok).toBe(true);
    expect(openAlgo(w)).toEqual([first]); // placed this very minute: not moved yet
    w.h.clock.advance(30_000);
    await w.h.engine.sweepPositions();
    expect(openAlgo(w)).toEqual([first]);
    w.h.clock.advance(31_000);
    await w.h.engine.sweepPositions();
    const [moved] = openAlgo(w);
    expect(moved!.triggerPrice).toBeCloseTo(49_252.5, 6); // 49 500 × (1 − 0.5 %)
    expect(first.algoStatus).toBe('CANCELED');
    expect((await w.h.engine.facade.listPositions(w.userId))[0]!.exchangeStop).toEqual({ stopPrice: 49_252.5 });
  });

  it('1 000 trailing ticks cost at most 5 exchange calls on the backstop (moves only on 1 % steps, at most once a minute)', async () => {
    const w = (world = await createWorld('futures', { partialTpEnabled: false }));
    const p = await open(w);
    const first = openAlgo(w)[0]!;
    const { backstopCalls, lastPrice } = await trailingTicks(w, 1_000);
    expect(backstopCalls).toBeLessThanOrEqual(5);
    expect(backstopCalls).toBeGreaterThan(0); // it did follow the trailing stop
    const live = openAlgo(w);
    expect(live).toHaveLength(1);
    expect(live[0]!.triggerPrice).toBeGreaterThan(first.triggerPrice);
    expect(live[0]!.triggerPrice).toBeLessThan(lastPrice * 0.99); // still beyond the trailing stop
    const [now] = await w.h.engine.facade.listPositions(w.userId);
    expect(now).toMatchObject({ id: p.id, trailingActive: true, qty: p.qty });
    console.log(`backstop calls over 1 000 trailing ticks: ${backstopCalls}; stop ${first.triggerPrice} → ${live[0]!.triggerPrice}`);
  });

  it('fires while the bot is down: the emulator closes the position; at restart exchange_stop is recorded once with the fill P&L and one alert', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const stop = openAlgo(w)[0]!;
    await w.h.engine.stop();
    // the price walks through the bot's stop and the backstop while nothing watches
    for (const price of [49_500, 49_000, stop.triggerPrice + 20, stop.triggerPrice - 50]) w.ex.setPrice('BTCUSDT', price);
    expect([...w.ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);
    const fired = w.ex.book.trades.at(-1)!;
    expect(fired).toMatchObject({ side: 'SELL', price: stop.triggerPrice - 50 });

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows).toHaveLength(1);
    const [t] = rows;
    expect(t!.closeReason).toBe('exchange_stop');
    expect(Number(t!.exitPrice)).toBe(fired.price);
    expect(Number(t!.quantity)).toBe(p.qty);
    // gross P&L is the exchange's realized P&L of the fill: (48 705 − 50 000) × 0.02 = −25.90
    expect(Number(t!.pnl) + Number(t!.fee)).toBeCloseTo(fired.realizedPnl, 9);
    expect(fired.realizedPnl).toBeCloseTo((fired.price - p.entryPrice) * p.qty, 9);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);

    // another restart records nothing more
    await w.h.engine.stop();
    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    expect(await w.db.db.select().from(trades).where(eq(trades.positionId, p.id))).toHaveLength(1);
    expect(kinds(w).filter((k) => k === 'exchange_stop')).toHaveLength(1);
    expect(kinds(w).filter((k) => k === 'action_needed')).toHaveLength(0);
  });

  it("a gap through both stops while the bot is up (USD-M): the bot's reduce-only close finds nothing; the fired stop is recorded once", async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    setPrice(w, 48_500);
    await w.h.engine.settle();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => t.closeReason)).toEqual(['exchange_stop']);
    expect(Number(rows[0]!.exitPrice)).toBe(48_500);
    expect([...w.ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);
    // the trader hears of the exchange's stop only: no "order failed … Retrying" for the bot's own stop loss
    expect(kinds(w)).toEqual(['position_opened', 'exchange_stop']);
  });

  it('a wick through the backstop the feed never showed (USD-M): the time exit finds the position gone; exchange_stop only, no "order failed"', async () => {
    const w = (world = await createWorld('futures'));
    const p = await open(w);
    const stop = openAlgo(w)[0]!;
    w.ex.setPrice('BTCUSDT', stop.triggerPrice - 100); // the exchange trades through the stop and back
    w.ex.setPrice('BTCUSDT', 50_000);
    expect([...w.ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);
    w.h.clock.advance(12 * 3_600_000 + 1_000); // the bot, seeing 50 000 all along, closes on its time exit
    await w.h.engine.sweepPositions();
    await w.h.engine.settle();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice)])).toEqual([['exchange_stop', stop.triggerPrice - 100]]);
    expect(kinds(w)).toEqual(['position_opened', 'exchange_stop']);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
  });

  it('a stop the exchange refuses (-2021, it would trigger at once) keeps the position open under the bot, and the trader is told once', async () => {
    // 125× isolated: liquidation 0.4 % away, so a stop inside it sits above the price
    const w = (world = await createWorld('futures', { leverage: 125, riskLevel: 10 }, 'isolated'));
    const p = await open(w);
    expect(openAlgo(w)).toEqual([]);
    expect(w.ex.requests.some((r) => r.path === '/fapi/v1/algoOrder' && r.method === 'POST')).toBe(true);
    expect(p.status).toBe('open');
    expect(p.exchangeStop).toMatchObject({ stopPrice: null });
    const told = w.h.notifier.ofKind('action_needed').map((e) => e.message);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/is not protected on the exchange: the exchange refused a stop at .* \(too far from or already past the price\)/);
    expect(formatPosition(p, new Date())).toContain('⚠️ Not protected on the exchange: the exchange refused a stop');
    // the bot's own monitor still guards it: 0.4 % from liquidation, its liquidation protection closes it
    w.h.clock.advance(61_000);
    await w.h.engine.sweepPositions();
    await w.h.engine.settle();
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'liquidation_protection' });
    expect(w.h.notifier.ofKind('action_needed')).toHaveLength(1);
  });
});

describe('backstop on Binance spot: a STOP_LOSS_LIMIT that locks the coins', () => {
  it('locks what the entry bought; a partial sell shrinks it first (never "insufficient balance"), a close cancels it', async () => {
    const w = (world = await createWorld('spot'));
    const p = await open(w);
    const [stop] = openSpotStops(w);
    expect(openSpotStops(w)).toHaveLength(1);
    expect(stop).toMatchObject({ side: 'SELL', origQty: p.qty, clientOrderId: backstopClientId(p.id, 1) });
    expect(w.ex.book.spot('BTC')).toMatchObject({ free: 0, locked: p.qty });
    const half = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 0.5);
    expect(half.ok).toBe(true);
    const [after] = await w.h.engine.facade.listPositions(w.userId);
    const live = openSpotStops(w);
    expect(live).toHaveLength(1);
    expect(live[0]!.origQty).toBeCloseTo(after!.qty, 9);
    expect(w.ex.book.spot('BTC').locked).toBeCloseTo(after!.qty, 9);
    expect(w.ex.book.spot('BTC').free).toBeCloseTo(0, 9);
    const all = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 1);
    expect(all.ok).toBe(true);
    expect(openSpotStops(w)).toEqual([]);
    expect(w.ex.book.spot('BTC').locked).toBe(0);
    expect(kinds(w)).not.toContain('order_failed');
  });

  it('a stop whose answer was lost rests on the exchange holding the coins: it is found by its client id, so the next sell shrinks it (never "insufficient balance")', async () => {
    const w = (world = await createWorld('spot'));
    // the exchange takes the stop and the answer never comes back
    w.ex.inject({ method: 'POST', path: '/api/v3/order', params: { type: 'STOP_LOSS_LIMIT' }, fault: { kind: 'drop-after-accept' } });
    const p = await open(w);
    expect(openSpotStops(w)).toHaveLength(1);
    expect(w.ex.book.spot('BTC')).toMatchObject({ free: 0, locked: p.qty });
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row!.backstop).toMatchObject({ status: 'live', clientOrderId: backstopClientId(p.id, 1), qty: p.qty, placing: null }); // looked up by its client id within the call
    const half = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 0.5);
    expect(half.ok).toBe(true);
    const [after] = await w.h.engine.facade.listPositions(w.userId);
    expect(after!.qty).toBeCloseTo(p.qty / 2, 9);
    const live = openSpotStops(w);
    expect(live).toHaveLength(1);
    expect(live[0]!.origQty).toBeCloseTo(after!.qty, 9);
    expect(w.ex.book.spot('BTC')).toMatchObject({ free: 0, locked: live[0]!.origQty });
    const [stored] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(stored!.backstop).toMatchObject({ status: 'live', clientOrderId: live[0]!.clientOrderId, placing: null });
    expect(kinds(w)).not.toContain('order_failed');
  });

  it('a sell that fails after the stop was shrunk gets the stop restored to the whole holding', async () => {
    const w = (world = await createWorld('spot'));
    const p = await open(w);
    // 0.5 % of the 0.01998 BTC held is 4.995 USDT: below the market's minimum order value, refused
    const tiny = await w.h.engine.facade.closePosition(actor, w.userId, p.id, 0.005);
    expect(tiny.ok).toBe(false);
    const live = openSpotStops(w);
    expect(live).toHaveLength(1);
    expect(live[0]!.origQty).toBeCloseTo(p.qty, 12);
    expect(w.ex.book.spot('BTC')).toMatchObject({ free: 0, locked: p.qty });
    // it was shrunk to what would remain, then restored: three stops placed in all
    const stops = w.ex.book.orders.filter((o) => o.type === 'STOP_LOSS_LIMIT').map((o) => [o.origQty, o.status]);
    expect(stops[1]![0]).toBeCloseTo(0.01988, 12);
    expect(stops).toEqual([
      [p.qty, 'CANCELED'],
      [stops[1]![0], 'CANCELED'],
      [p.qty, 'NEW'],
    ]);
  });

  it('a stop too far from the price for the exchange (-1013 PERCENT_PRICE_BY_SIDE): the trader is told once, the bot keeps guarding it, and reconciliation retries', async () => {
    const w = (world = await createWorld('spot'));
    w.ex.book.percentPrice = { down: 0.985, up: 1.015 }; // a tight band: the stop at 48 755 (limit 1 % lower) is outside
    const p = await open(w);
    expect(openSpotStops(w)).toEqual([]);
    expect(w.ex.requests.some((r) => r.path === '/api/v3/order' && r.params['type'] === 'STOP_LOSS_LIMIT')).toBe(true);
    const told = w.h.notifier.ofKind('action_needed').map((e) => e.message);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^BTC\/USDT long is not protected on the exchange: the exchange refused a stop at [\d.]+ \(too far from or already past the price\)\. The bot still watches it and retries the stop\.$/);
    expect(p).toMatchObject({ status: 'open', exchangeStop: { stopPrice: null } });
    expect(formatPosition(p, new Date())).toContain('⚠️ Not protected on the exchange');
    // the band widens again: the next reconciliation places it, without telling the trader twice
    w.ex.book.percentPrice = undefined;
    w.h.clock.advance(181_000);
    await w.h.engine.sweepPositions();
    expect(openSpotStops(w)).toHaveLength(1);
    expect(w.h.notifier.ofKind('action_needed')).toHaveLength(1);
    // meanwhile and after, the bot's own stop loss guards it: a fall through 49 000 sells
    w.ex.book.percentPrice = { down: 0.985, up: 1.015 };
    setPrice(w, 48_900);
    await w.h.engine.settle();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => t.closeReason)).toEqual(['stop_loss']);
    expect(openSpotStops(w)).toEqual([]);
  });

  it('fires while the bot is down: at restart exchange_stop is recorded once, priced from the exchange fill and its USDT fee', async () => {
    const w = (world = await createWorld('spot'));
    const p = await open(w);
    const [stop] = openSpotStops(w);
    await w.h.engine.stop();
    for (const price of [49_500, 49_000, stop!.stopPrice - 30]) w.ex.setPrice('BTCUSDT', price);
    expect(stop!.status).toBe('FILLED');
    const fill = w.ex.book.trades.at(-1)!;
    expect(w.ex.book.spot('BTC').free + w.ex.book.spot('BTC').locked).toBeCloseTo(0, 12);

    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows).toHaveLength(1);
    const [t] = rows;
    expect(t).toMatchObject({ closeReason: 'exchange_stop', source: 'reconcile' });
    expect(Number(t!.exitPrice)).toBe(fill.price);
    // gross from the fill, the exit fee exactly as the exchange charged it (0.1 % in USDT)
    const gross = (fill.price - p.entryPrice) * p.qty;
    const entryFeeShare = Number(t!.fee) - fill.commission;
    expect(fill.commissionAsset).toBe('USDT');
    expect(Number(t!.pnl)).toBeCloseTo(gross - fill.commission - entryFeeShare, 9);
    expect(entryFeeShare).toBeCloseTo(0.00002 * 50_000, 9); // the entry's fee, 0.00002 BTC taken in the coin, at the entry price: 1 USDT
    expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
    expect(w.h.notifier.ofKind('action_needed')).toEqual([]);
  });

  it('a gap through the bot stop and the backstop while the bot is up: the exchange sold first, recorded once as exchange_stop, nothing sold twice', async () => {
    const w = (world = await createWorld('spot'));
    const p = await open(w);
    setPrice(w, 48_500); // −3 %: the emulator fires the stop at once, the bot's stop loss fires on the same tick
    await w.h.engine.settle();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => t.closeReason)).toEqual(['exchange_stop']);
    expect(Number(rows[0]!.quantity)).toBeCloseTo(p.qty, 12);
    expect(w.ex.book.orders.filter((o) => o.side === 'SELL' && o.status === 'FILLED')).toHaveLength(1);
    expect(w.ex.book.spot('BTC').free + w.ex.book.spot('BTC').locked).toBeCloseTo(0, 12);
    expect(await w.h.engine.facade.listPositions(w.userId)).toEqual([]);
    expect(w.h.notifier.ofKind('exchange_stop')).toHaveLength(1);
  });
});
