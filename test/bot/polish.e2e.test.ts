/**
 * Issue 15 item 7, a trader's polish, read where the trader reads it: the real bot, the real
 * engine, real ccxt against the Binance emulator (BTC/USDT: amount step 0.00001, tick 0.01, the
 * 0.1 % fee taken in the coin bought), the Bot API emulator. The opened alert shows the trade
 * number, the account's one name, the plan and the signal; /positions is one table with a button
 * per position; exits show the P&L percent after fees, the duration and the trade number;
 * /daily, /performance and /balance read the trades and the account at the market's precision.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desc, eq } from 'drizzle-orm';
import { alice, harnessKinds, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { tradingSignals, trades } from '../../src/db/schema.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import type { MessageView } from '../emulators/bot-api.ts';

const KEY = 'emukey-POLISHED4321';
const SECRET = 'emusecret-polished00';

let h: Harness;
let emulator: BinanceEmulator;
let feed: ManualFeed;
async function start(kind: 'pglite' | 'postgres') {
  emulator = await startBinanceEmulator({ apiKey: KEY, secret: SECRET });
  emulator.book.spot('USDT').free = 10_000;
  emulator.book.prices.set('BTCUSDT', 100_000);
  feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', 100_000);
  h = await startHarness({
    kind,
    engine: realEngine({ options: { binance: { timeout: 15_000, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false }, priceFeed: feed }, feed),
  });
}
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

const num = (s: string) => Number(s.replace(/,/g, '').replace('−', '-'));
const current = (m: { message_id: number }): MessageView => h.emu.messages(alice.id).find((x) => x.message_id === m.message_id)!;
/** the number of decimals a number is written with */
const decimals = (s: string) => (s.split('.')[1] ?? '').length;

async function connectBinance() {
  await h.say(alice, '/start', /Welcome, Alice/);
  await h.press(alice, await h.say(alice, '/connect', /Which exchange/), 'Binance');
  await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance: which mode/), /^Spot/);
  await h.emu.waitForMessage(alice.id, /API key/);
  await h.say(alice, KEY, /API secret/);
  await h.say(alice, SECRET, /Checking/);
  await h.emu.waitForMessage(alice.id, /Connected Binance spot/, 15_000);
  return (await createRecipientsRepo(h.db.db).byTelegramId(alice.id))!.userId;
}

// on PostgreSQL too (TEST_DATABASE_URL): the trade number and the /daily and /performance sums are SQL
describe.each(harnessKinds())("a trader's polish, on the real engine and Binance's markets, on %s", (kind) => {
  beforeEach(() => start(kind));

  it('the opened alert, the /positions table and card, exits, /daily, /performance and /balance', async () => {
    const userId = await connectBinance();
    await h.db.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.83, source: 'titan_v3', userId, reasoning: 'test' });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 20_000);
    const [position] = await h.engine.listPositions(userId);
    expect(position).toMatchObject({ number: 1, accountLabel: 'Binance spot ·4321', quote: 'USDT', amountStep: 0.00001, priceTick: 0.01 });
    const entry = position!.entryPrice;

    // the head names the trade number and the account's one name
    expect(opened.text.split('\n')[1]).toBe('BTC/USDT LONG · trade #1 · Binance spot ·4321');
    // the size at the market's step (5 decimals), never a float's tail
    const size = /size ([\d.]+) BTC/.exec(opened.text)![1]!;
    expect(decimals(size)).toBeLessThanOrEqual(5);
    expect(num(size)).toBeCloseTo(position!.qty, 5);
    // the plan: every partial level at its price, the trailing activation, the time exit, the signal
    const at = (pct: number) => (entry * (1 + pct / 100)).toLocaleString('en-US', { maximumFractionDigits: 2 });
    const levels = DEFAULT_SETTINGS.partialTpLevels;
    expect(opened.text).toContain(`💰 Partial TP: ${levels.map((l) => `${at(l.targetPct)} (sell ${l.fraction * 100} %)`).join(' · ')}`);
    expect(opened.text).toContain(`📈 Trailing stop from ${at(DEFAULT_SETTINGS.trailingActivationPct)} (+${DEFAULT_SETTINGS.trailingActivationPct.toFixed(2)} %), ${DEFAULT_SETTINGS.trailingDistancePct.toFixed(2)} % behind the best price`);
    expect(opened.text).toContain(`⏰ Time exit after ${DEFAULT_SETTINGS.maxHoldHours} h`);
    expect(opened.text).toContain('📡 Signal: titan_v3 · confidence 0.83');

    // /positions: one message, a table, a button per position that opens its card
    feed.push('BTC/USDT', 100_800);
    emulator.book.prices.set('BTCUSDT', 100_800);
    const before = h.emu.messages(alice.id).length;
    const table = await h.say(alice, '/positions', /Open positions/);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.emu.messages(alice.id).filter((m) => m.from === 'bot').length - h.emu.messages(alice.id).slice(0, before).filter((m) => m.from === 'bot').length).toBe(1);
    const rows = /<pre>|#\s+Pair/.test(table.text) ? table.text.split('\n') : [];
    expect(rows.find((l) => /^#\s+Pair\s+Side\s+Amount\s+Entry\s+Now\s+P&L%$/.test(l))).toBeDefined();
    const row = rows.find((l) => /^1 BTC\/USDT/.test(l))!;
    const view = (await h.engine.getPosition(userId, position!.id))!;
    const cells = row.split(/\s+/);
    expect(cells.slice(0, 3)).toEqual(['1', 'BTC/USDT', 'long']);
    expect(num(cells[3]!)).toBeCloseTo(view.qty, 5);
    expect(decimals(cells[3]!)).toBeLessThanOrEqual(5);
    expect(num(cells[5]!)).toBe(100_800);
    // P&L % after the entry fee, two decimals: the fee was taken in the coin, so it is the lost coin's worth
    expect(cells[6]).toBe(`+${view.unrealizedPct!.toFixed(2)}`);
    expect(view.unrealizedPct!).toBeCloseTo((view.unrealizedPnl! / (view.entryPrice * view.qty)) * 100, 8);
    expect(table.buttons.flat().map((b) => b.text)).toEqual([`#1 BTC/USDT long +${view.unrealizedPct!.toFixed(2)} %`]);

    await h.press(alice, table, /^#1 BTC\/USDT/);
    const card = await h.emu.waitForMessage(alice.id, /^#1 BTC\/USDT LONG · Binance spot ·4321/, 8000);
    expect(card.text).toContain('Entry');
    expect(card.text).toContain('now 100,800');
    expect(card.buttons.flat().map((b) => b.text)).toEqual(['✖ Close', '½ Close 50 %', '🛡 SL → breakeven', '✏️ Adjust SL/TP', '🔄 Refresh']);

    // a toast names prices as the chat does: grouped, at the tick
    const be = await h.press(alice, card, '🛡 SL → breakeven');
    expect(be.answer).toBe(`Stop loss moved to breakeven (${entry.toLocaleString('en-US', { maximumFractionDigits: 2 })}).`);
    // the card is redrawn with the new stop and fresh buttons
    await h.edited(alice, card, new RegExp(`🛑 SL ${entry.toLocaleString('en-US', { maximumFractionDigits: 2 })} ·`));

    // /balance while the position is open: one name per account, USDT to the cent, BTC at the market's step
    const balance = await h.say(alice, '/balance', /Balances/);
    expect(balance.text.split('\n')[2]).toBe('Binance spot ·4321');
    const usdt = /USDT: ([\d,.]+)/.exec(balance.text)![1]!;
    expect(decimals(usdt)).toBe(2);
    expect(num(usdt)).toBeCloseTo(emulator.book.spot('USDT').free, 2);
    expect(balance.text).toContain(`BTC: ${view.qty}`);
    expect(decimals(/BTC: ([\d.]+)/.exec(balance.text)![1]!)).toBeLessThanOrEqual(5);

    // half: the exit alert names the trade, rounds to the step and gives the percent after fees
    const half = await h.press(alice, current(card), '½ Close 50 %');
    expect(half.answer).toBe('Closing 50 % of BTC/USDT…');
    const partial = await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*still open/, 15_000);
    const [firstExit] = await h.db.db.select().from(trades).where(eq(trades.userId, userId)).orderBy(desc(trades.closedAt)).limit(1);
    const pnl = Number(firstExit!.pnl);
    const pct = (pnl / (Number(firstExit!.entryPrice) * Number(firstExit!.quantity))) * 100;
    expect(partial.text.split('\n')[1]).toBe('BTC/USDT LONG · trade #1 · Binance spot ·4321');
    expect(partial.text).toContain(`Sold ${Number(firstExit!.quantity)} BTC at 100,800`);
    expect(partial.text).toContain(`P&L +${pnl.toFixed(2)} USDT (+${pct.toFixed(2)} %) after fees`);
    // after fees: below the price move of +0.80 % by the two fees
    expect(pct).toBeLessThan(((100_800 - entry) / entry) * 100 - 0.15);
    expect(partial.text).toMatch(/BTC still open \(open for \d+ s\)\./);

    const close = await h.press(alice, current(card), '✖ Close');
    expect(close.answer).toBe('Closing BTC/USDT…');
    const closed = await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*Position closed after/, 15_000);
    expect(closed.text).toMatch(/trade #1 · Binance spot ·4321[\s\S]*Position closed after \d+ s\./);

    // /daily and /performance from the trades table
    const exits = await h.db.db.select().from(trades).where(eq(trades.userId, userId));
    const total = exits.reduce((s, t) => s + Number(t.pnl), 0);
    const basis = exits.reduce((s, t) => s + Number(t.quantity) * Number(t.entryPrice), 0);
    const today = new Date().toISOString().slice(0, 10);
    const daily = await h.say(alice, '/daily', /Daily P&L/);
    const lines = daily.text.split('\n');
    expect(lines[1]).toMatch(/^Day\s+P&L USDT\s+Trades$/);
    expect(lines[2]).toMatch(new RegExp(`^${today}\\s+\\+${total.toFixed(2)}\\s+2$`));
    expect(lines.filter((l) => /^\d{4}-\d\d-\d\d/.test(l))).toHaveLength(7);
    expect(lines.filter((l) => /^\d{4}-\d\d-\d\d\s+0\.00\s+0$/.test(l))).toHaveLength(6);
    expect(daily.text).toContain(`Total: +${total.toFixed(2)} USDT over 2 trades (after fees).`);
    expect((await h.say(alice, '/daily 31', /Usage: \/daily/)).text).toBe('Usage: /daily [n] — n is a whole number of days from 1 to 30 (default 7).');

    const perf = await h.say(alice, '/performance', /Performance per pair/);
    expect(perf.text.split('\n')[1]).toMatch(/^#\s+Pair\s+P&L USDT\s+P&L%\s+Trades\s+Won$/);
    expect(perf.text.split('\n')[2]).toMatch(new RegExp(`^1\\s+BTC/USDT\\s+\\+${total.toFixed(2)}\\s+\\+${((total / basis) * 100).toFixed(2)}\\s+2\\s+2$`));

    // the next position is the trader's trade #2
    await h.db.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.7, source: 'titan_v3', userId, reasoning: 'test' });
    const second = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*trade #2/, 20_000);
    expect(second.text).toContain('📡 Signal: titan_v3 · confidence 0.70');

    if (process.env.SHOW_CHAT) for (const m of h.emu.messages(alice.id)) console.log(`${m.from}: ${m.text}\n${m.buttons.flat().map((b) => `[${b.text}]`).join(' ')}`);
  });
});
