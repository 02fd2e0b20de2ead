/**
 * Updates are handled concurrently (grammY's runner): while one trader's Close waits on a slow
 * exchange, another trader's button is answered and acted on. A Close is answered at once
 * ("Closing…"); its result follows as a message. Real bot, real engine, real ccxt against the
 * Binance emulator (Alice, live spot) and a paper account (Bob), Bot API emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, bob, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';

const KEY = 'emukey-CONCURRENT9876';
const SECRET = 'emusecret-abcdefghij';
/** how long the exchange takes to answer Alice's close */
const SLOW_MS = 4_000;

let h: Harness;
let emulator: BinanceEmulator;
let feed: ManualFeed;
beforeEach(async () => {
  emulator = await startBinanceEmulator({ apiKey: KEY, secret: SECRET });
  emulator.book.spot('USDT').free = 10_000;
  emulator.book.prices.set('BTCUSDT', 100_000);
  feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', 100_000);
  h = await startHarness({
    emulator: { answerTimeoutMs: 20_000 },
    engine: realEngine({ options: { binance: { timeout: 15_000, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false }, priceFeed: feed }, feed),
  });
});
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

async function signal(userId: string) {
  await h.db.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', userId, reasoning: 'test' });
}

describe('one trader waiting on an exchange', () => {
  it("never delays another trader's button", async () => {
    await h.say(alice, '/start', /Welcome, Alice/);
    await h.press(alice, await h.say(alice, '/connect', /Which exchange/), 'Binance');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance: which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /Checking/);
    await h.emu.waitForMessage(alice.id, /Connected Binance spot/, 15_000);

    await h.say(bob, '/start', /Welcome, Bob/);
    await h.press(bob, await h.say(bob, '/connect', /Which exchange/), /Paper/);
    await h.press(bob, await h.emu.waitForMessage(bob.id, /which mode/), /^Spot/);
    await h.emu.waitForMessage(bob.id, /Paper account ready/);

    const recipients = createRecipientsRepo(h.db.db);
    const aliceId = (await recipients.byTelegramId(alice.id))!.userId;
    await signal(aliceId);
    await signal((await recipients.byTelegramId(bob.id))!.userId);
    const aliceOpened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 20_000);
    const bobOpened = await h.emu.waitForMessage(bob.id, /POSITION OPENED/, 20_000);

    // the protective stop on Binance is in place (SPEC §10) before anything else happens
    await expect
      .poll(async () => (await h.engine.listPositions(aliceId))[0]?.exchangeStop?.stopPrice ?? null, { timeout: 15_000 })
      .toBeGreaterThan(0);
    // Binance now takes SLOW_MS to answer a market order (Alice's close)
    emulator.inject({ method: 'POST', path: '/api/v3/order', params: { type: 'MARKET' }, fault: { kind: 'slow', delayMs: SLOW_MS } });
    const closedAlert = (chat: number) => h.emu.messages(chat).some((m) => /CLOSED BY YOU/.test(m.text));
    const marketOrders = () => emulator.requests.filter((r) => r.path === '/api/v3/order' && r.params.type === 'MARKET' && r.method === 'POST').length;
    const ordersBefore = marketOrders();
    const aliceToast = await h.emu.pressButtonLabeled(alice, aliceOpened.message_id, '✖ Close').answer;
    // Alice is told at once that the close is on its way, not after the exchange
    expect(aliceToast.text).toBe('Closing BTC/USDT…');
    expect(closedAlert(alice.id)).toBe(false);
    // Bob presses once Alice's close is waiting at the exchange
    await expect.poll(marketOrders, { timeout: 10_000 }).toBeGreaterThan(ordersBefore);
    const bobToast = await h.emu.pressButtonLabeled(bob, bobOpened.message_id, '½ Close 50 %').answer;
    expect(bobToast.text).toBe('Closing 50 % of BTC/USDT…');
    // Bob's half close is done and reported while Alice's order still waits for the exchange
    const bobResult = await h.emu.waitForMessage(bob.id, /CLOSED BY YOU[\s\S]*still open/, 10_000);
    expect(bobResult.text).toContain('BTC/USDT LONG');
    expect(closedAlert(alice.id)).toBe(false);
    expect(await h.engine.listPositions(aliceId)).toHaveLength(1);
    // then the exchange answers Alice's order and her result comes as a message
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*Position closed after/, SLOW_MS + 15_000);
    expect(await h.engine.listPositions(aliceId)).toHaveLength(0);
  });
});
