/**
 * Onboarding a live Binance key on the real engine and the real exchange layer (real ccxt
 * against the Binance emulator): a key the exchange reports as allowed to withdraw is refused
 * and nothing is stored; the same key with withdrawals turned off is saved without a warning.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';

const KEY = 'emukey-ABCDEFGH4321';
const SECRET = 'emusecret-zyxwvutsrq';

let h: Harness;
let emulator: BinanceEmulator;
beforeEach(async () => {
  emulator = await startBinanceEmulator({ apiKey: KEY, secret: SECRET });
  emulator.book.spot('USDT').free = 500;
  h = await startHarness({
    engine: realEngine({ options: { binance: { timeout: 1_000, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false } }),
  });
});
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

describe('a live Binance key on the real engine', () => {
  it('is refused while it can withdraw (nothing stored), and saved once withdrawals are off', async () => {
    emulator.permissions.enableWithdrawals = true;
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Binance');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance: which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /Checking the key with Binance/);
    await h.emu.waitForMessage(alice.id, /withdraw funds[\s\S]*Nothing was saved/, 10_000);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);
    expect(emulator.count('/sapi/v1/account/apiRestrictions')).toBe(1);

    // the trader turns withdrawals off on Binance and sends the key again
    emulator.permissions.enableWithdrawals = false;
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /Checking/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected Binance spot \(key …4321\), stored encrypted/, 10_000);
    expect(ok.text).not.toMatch(/does not tell whether/);
    const rows = await h.db.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exchange: 'binance', mode: 'spot', isPaper: false, apiKeyHint: '…4321' });
    expect(JSON.stringify(rows[0])).not.toContain(SECRET);
  });
});
