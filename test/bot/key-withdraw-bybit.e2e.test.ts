/**
 * Onboarding a live Bybit key on the real engine and the real exchange layer (real ccxt against
 * the Bybit v5 emulator): a key /v5/user/query-api reports as allowed to withdraw is refused and
 * nothing is stored; the same key without "Withdraw" is saved for perpetuals in isolated margin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { startBybitEmulator, type BybitEmulator } from '../emulators/exchange/bybit-server.ts';

const KEY = 'bybitkey-ABCDEFGH9876';
const SECRET = 'bybitsecret-zyxwvutsrq';

let h: Harness;
let emulator: BybitEmulator;
beforeEach(async () => {
  emulator = await startBybitEmulator({ apiKey: KEY, secret: SECRET });
  emulator.book.addCoin('USDT', 500);
  h = await startHarness({
    engine: realEngine({ options: { bybit: { timeout: 1_000, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false } }),
  });
});
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

describe('a live Bybit key on the real engine', () => {
  it('offers every mode of the quirks file; refuses a key that can withdraw; saves it once "Withdraw" is off', async () => {
    emulator.keyInfo.permissions.Wallet.push('Withdraw');
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Bybit');
    const modes = await h.emu.waitForMessage(alice.id, /Bybit: which mode/);
    expect(JSON.stringify(modes.reply_markup)).toMatch(/Spot[\s\S]*Margin[\s\S]*Futures/);
    await h.press(alice, modes, /^Futures/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Bybit futures: which margin mode/), /^Isolated/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /Checking the key with Bybit/);
    await h.emu.waitForMessage(alice.id, /withdraw funds[\s\S]*Nothing was saved/, 10_000);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);
    expect(emulator.requests.filter((r) => r.path === '/v5/user/query-api').length).toBeGreaterThanOrEqual(1);

    emulator.keyInfo.permissions.Wallet = ['AccountTransfer'];
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /Checking/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected Bybit futures.*\(key …9876\), stored encrypted/, 10_000);
    expect(ok.text).not.toMatch(/does not tell whether/);
    const rows = await h.db.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exchange: 'bybit', mode: 'futures', marginMode: 'isolated', isPaper: false, apiKeyHint: '…9876' });
    expect(JSON.stringify(rows[0])).not.toContain(SECRET);
  });
});
