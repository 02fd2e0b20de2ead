/**
 * One exchange key, one bot account: two accounts on one key net their positions on the exchange
 * (one's close sells the other's coins). /connect refuses a key already connected, naming the
 * exchange and the account that holds it: the trader's own, or another trader's. Found by a keyed
 * hash of the key (never the key in plain text), also for an account stored before the hash
 * existed. Real engine, real ccxt against the Binance emulator, the Bot API emulator.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, bob, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import type { TgUser } from '../emulators/bot-api.ts';

const KEY = 'binance-key-SHARED7421';
const SECRET = 'binance-secret-abcdefgh';

let h: Harness;
let binance: BinanceEmulator;
beforeEach(async () => {
  binance = await startBinanceEmulator({ apiKey: KEY, secret: SECRET });
  binance.book.spot('USDT').free = 1_000;
  h = await startHarness({ engine: realEngine({ options: { binance: { timeout: 2_000, urls: { api: binance.ccxtApiUrls() } } }, feed: { websocket: false } }) });
}, 120_000);
afterEach(async () => {
  await h?.stop();
  await binance?.close();
});

/** /connect → Binance → `mode` (futures: cross margin) → key and secret; resolves with the bot's verdict */
async function connect(user: TgUser, mode: RegExp, verdict: RegExp) {
  const ask = await h.say(user, '/connect', /Which exchange/);
  await h.press(user, ask, 'Binance');
  await h.press(user, await h.emu.waitForMessage(user.id, /Binance: which mode/), mode);
  if (mode.test('Futures')) await h.press(user, await h.emu.waitForMessage(user.id, /which margin mode/), /^Cross/);
  await h.emu.waitForMessage(user.id, /Send the <b>API key<\/b>|Send the API key/);
  await h.say(user, KEY, /API secret/);
  await h.say(user, SECRET, /Checking the key/);
  return h.emu.waitForMessage(user.id, verdict, 15_000);
}

describe('a key already connected', () => {
  it("is refused on the trader's second account and for another trader, naming the exchange and the account; an account stored before the hash is found too", async () => {
    await h.say(alice, '/start', /Welcome, Alice/);
    await connect(alice, /^Spot/, /Connected Binance spot \(key …7421\)/);
    const [row] = await h.db.db.select().from(apiKeys);
    expect(row!.apiKeyFp).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(KEY);
    expect(JSON.stringify(row)).not.toContain(SECRET);

    // the same key for a second spot account of Alice's: refused before the exchange is asked, nothing stored
    const asked = binance.requests.length;
    const own = await connect(alice, /^Spot/, /already connected/);
    expect(own.text).toContain('This Binance API key is already connected to your account Binance spot ·7421. Two accounts on one key would net their positions on Binance: create a separate API key on Binance for this account.');
    expect(own.text).toContain('Nothing was saved');
    expect(binance.requests.length).toBe(asked);

    // an account stored before the fingerprint column existed
    await h.db.db.update(apiKeys).set({ apiKeyFp: null }).where(eq(apiKeys.id, row!.id));
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(bob, '/start', /Welcome, Bob/);
    const other = await connect(bob, /^Spot/, /already connected/);
    expect(other.text).toContain("This Binance API key is already connected to another trader's account (Binance spot ·7421).");
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(1);
    const [after] = await h.db.db.select().from(apiKeys);
    expect(after!.apiKeyFp).toBe(row!.apiKeyFp);

    // spot coins and futures positions are apart: the same key serves Alice's futures account
    await connect(alice, /^Futures/, /Connected Binance futures/);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(2);
  }, 90_000);
});
