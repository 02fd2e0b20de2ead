/**
 * /connect with a live Bitget key on the real engine and the real exchange layer (real ccxt
 * against the Bitget emulator): the bot asks for the passphrase, checks the key with Bitget's own
 * signature, refuses a key whose authorities include withdrawals (nothing stored) and saves it once
 * they do not; a wrong passphrase is refused with the trader told why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { startBitgetEmulator, type BitgetEmulator } from '../emulators/exchange/bitget-server.ts';

const KEY = 'bg_emukey-ABCDEFGH4321';
const SECRET = 'emusecret-zyxwvutsrq';
const PASSPHRASE = 'Pass9phrase';

let h: Harness;
let emulator: BitgetEmulator;
beforeEach(async () => {
  emulator = await startBitgetEmulator({ apiKey: KEY, secret: SECRET, passphrase: PASSPHRASE });
  emulator.book.mixWallet = 500;
  emulator.setPrice('BTCUSDT', 50_000);
  h = await startHarness({
    engine: realEngine({ options: { bitget: { timeout: 2_000, urls: { api: emulator.ccxtApiUrls() } } }, feed: { websocket: false } }),
  });
});
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

async function sendKey(passphrase: string): Promise<void> {
  await h.emu.waitForMessage(alice.id, /API key/);
  await h.say(alice, KEY, /API secret/);
  await h.say(alice, SECRET, /API passphrase/);
  await h.say(alice, passphrase, /Checking the key with Bitget/);
}

describe('a live Bitget futures key on the real engine', () => {
  it('asks for the passphrase; refused while it can withdraw (nothing stored), saved once it cannot', async () => {
    emulator.key.authorities = ['readonly', 'trade', 'withdraw'];
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Bitget');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Bitget: which mode/), /^Futures/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Bitget futures: which margin mode/), /^Cross/);
    await sendKey(PASSPHRASE);
    await h.emu.waitForMessage(alice.id, /withdraw funds[\s\S]*Nothing was saved/, 15_000);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);
    expect(emulator.count('/api/v2/spot/account/info')).toBe(1);

    emulator.key.authorities = ['readonly', 'trade'];
    await sendKey(PASSPHRASE);
    const ok = await h.emu.waitForMessage(alice.id, /Connected Bitget futures \(cross margin\) \(key …4321\), stored encrypted/, 15_000);
    expect(ok.text).not.toMatch(/does not tell whether/);
    const rows = await h.db.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exchange: 'bitget', mode: 'futures', apiKeyHint: '…4321' });
    expect(JSON.stringify(rows[0])).not.toContain(SECRET);
    expect(JSON.stringify(rows[0])).not.toContain(PASSPHRASE);
  });

  it('a wrong passphrase is refused by Bitget (40012) and the trader is told the key was rejected', async () => {
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Bitget');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Bitget: which mode/), /^Spot/);
    await sendKey('Wrong9phrase');
    await h.emu.waitForMessage(alice.id, /rejected the API key/, 15_000);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);
  });
});
