/**
 * Connecting an OKX key on the real engine and exchange layer (real ccxt against the OKX
 * emulator), as the trader sees it in the chat: futures asks the margin mode, then key, secret
 * and passphrase; a wrong passphrase is refused in words; a key OKX reports as allowed to
 * withdraw (account/config perm) is refused and nothing stored; the same key without the
 * withdrawal right is saved with no "cannot tell" warning.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys } from '../../src/db/schema.ts';
import { startOkxEmulator, type OkxEmulator } from '../emulators/exchange/okx-server.ts';
import { okxOptions } from '../exchange/okx-support.ts';

const KEY = 'okxkey-ABCDEFGH9876';
const SECRET = 'okxsecret-zyxwvutsrq';
const PASSPHRASE = 'Okx-Pass-1';

let h: Harness;
let emulator: OkxEmulator;
beforeEach(async () => {
  emulator = await startOkxEmulator({ apiKey: KEY, secret: SECRET, passphrase: PASSPHRASE });
  emulator.book.balances.set('USDT', 500);
  h = await startHarness({ engine: realEngine({ options: okxOptions(emulator, 2_000), feed: { websocket: false } }) });
}, 120_000); // a database and the bot per test: generous on a loaded machine
afterEach(async () => {
  await h?.stop();
  await emulator?.close();
});

describe('an OKX futures key on the real engine', () => {
  it('a wrong passphrase and a key that can withdraw are refused; the right key without withdrawals is stored with its margin mode', async () => {
    emulator.key.perm = 'read_only,trade,withdraw';
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'OKX');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /OKX: which mode/), /^Futures/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /OKX futures: which margin mode/), /^Isolated/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /API passphrase/);
    await h.say(alice, 'wrong-pass', /Checking the key with OKX/);
    await h.emu.waitForMessage(alice.id, /rejected the API key \(invalid key, secret or passphrase\)[\s\S]*Nothing was saved/, 15_000);

    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /API passphrase/);
    await h.say(alice, PASSPHRASE, /Checking/);
    await h.emu.waitForMessage(alice.id, /withdraw funds[\s\S]*Nothing was saved/, 15_000);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);

    emulator.key.perm = 'read_only,trade';
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, KEY, /API secret/);
    await h.say(alice, SECRET, /API passphrase/);
    await h.say(alice, PASSPHRASE, /Checking/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected OKX futures \(isolated margin\) \(key …9876\), stored encrypted/, 15_000);
    expect(ok.text).not.toMatch(/does not tell whether/);
    const rows = await h.db.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exchange: 'okx', mode: 'futures', isPaper: false, apiKeyHint: '…9876' });
    expect(JSON.stringify(rows[0])).not.toContain(SECRET);
    expect(JSON.stringify(rows[0])).not.toContain(PASSPHRASE);
    expect(emulator.count('/api/v5/account/config')).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
