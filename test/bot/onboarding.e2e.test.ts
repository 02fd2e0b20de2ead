/**
 * Onboarding through the Bot API emulator: /start, /connect (paper and exchange keys), secrets
 * deleted at once and never stored readable, the key checked before it is saved, keys that can
 * withdraw refused or warned about, /cancel at any step, a dialog that survives a restart, /accounts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { alice, startHarness, type Harness } from './harness.ts';
import { apiKeys, botStorage } from '../../src/db/schema.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';
import { EXCHANGE_IDS, quirksFor } from '../../src/exchange/quirks/index.ts';
import { MODE_LABELS } from '../../src/bot/exchanges.ts';

let h: Harness;

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for: ${what}`);
}
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

async function begin() {
  await h.say(alice, '/start', /Welcome, Alice/);
  return h.say(alice, '/connect', /Which exchange/);
}

describe('onboarding', () => {
  it('/start greets a new trader and points to /connect; a second /start says welcome back', async () => {
    const hello = await h.say(alice, '/start', /Welcome, Alice/);
    expect(hello.text).toMatch(/\/connect/);
    await h.say(alice, '/start', /Welcome back, Alice/);
  });

  it('a paper account in three taps', async () => {
    const ask = await begin();
    await h.press(alice, ask, /Paper/);
    const mode = await h.emu.waitForMessage(alice.id, /which mode/);
    await h.press(alice, mode, /^Futures/);
    // margin mode: Binance's default (cross) is offered first
    const margin = await h.emu.waitForMessage(alice.id, /Paper futures: which margin mode/);
    expect(margin.buttons.map((row) => row[0]?.text)).toEqual([
      'Cross (the whole wallet backs every position) · default',
      'Isolated (each position risks only its own margin)',
      'Cancel',
    ]);
    await h.press(alice, margin, /^Isolated/);
    const done = await h.emu.waitForMessage(alice.id, /Paper account ready \(futures, isolated margin/);
    expect(done.text).toMatch(/10 000 USDT virtual/);
    const accounts = await h.say(alice, '/accounts', /Your accounts/);
    expect(accounts.text).toContain('#1 🧪 Paper Binance futures (isolated) · ✅ takes signals');
    expect(accounts.text).toContain('no open positions');
  });

  it('Binance: re-asks on a malformed key, refuses a rejected key and a key that can withdraw, saves a good one encrypted; every secret message is deleted', async () => {
    const ask = await begin();
    await h.press(alice, ask, 'Binance');
    const mode = await h.emu.waitForMessage(alice.id, /Binance: which mode/);
    await h.press(alice, mode, /^Spot/);
    await h.emu.waitForMessage(alice.id, /Send the <b>API key<\/b>|Send the API key/);

    // malformed: too short, then with a space
    await h.say(alice, 'abc', /too short for a API key|too short for a API key|too short/);
    await h.say(alice, 'abcd efgh ijkl', /The API key contains a space \(U\+0020\) at position 5: exchanges accept only printable ASCII/);
    // the exchange rejects this one
    await h.say(alice, 'badkey-1234567890', /API secret/);
    await h.say(alice, 'secret-abcdefghijklmnop', /Checking the key with Binance/);
    await h.emu.waitForMessage(alice.id, /rejected the API key[\s\S]*Nothing was saved/);
    // withdrawals enabled: refused (Binance reports the restriction)
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'withdrawkey-1234567890', /API secret/);
    await h.say(alice, 'secret-abcdefghijklmnop', /Checking/);
    await h.emu.waitForMessage(alice.id, /allowed to withdraw funds[\s\S]*Nothing was saved/);
    // a good key
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'goodkey-ABCDEFGH1234', /API secret/);
    await h.say(alice, 'topsecret-zyxwvutsrq', /Checking/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected Binance spot \(key …1234\), stored encrypted/);
    expect(ok.text).not.toMatch(/does not tell whether/);

    // every message that held a key or secret is gone from the chat
    const userTexts = h.emu.messages(alice.id).filter((m) => m.from === 'user');
    const secrets = userTexts.filter((m) => /key-|secret-|abc|efgh/.test(m.text));
    expect(secrets.length).toBe(8);
    expect(secrets.every((m) => m.deleted)).toBe(true);

    const rows = await h.db.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ exchange: 'binance', mode: 'spot', isPaper: false, apiKeyHint: '…1234' });
    expect(JSON.stringify(rows[0])).not.toMatch(/goodkey|topsecret/);
    const accounts = await h.say(alice, '/accounts', /Your accounts/);
    expect(accounts.text).toContain('#1 🔑 Binance spot ·1234 · ✅ takes signals');
  });

  it('typing instead of tapping at a choice is re-asked; a bad secret is re-asked too', async () => {
    await begin();
    await h.say(alice, 'binance please', /Please choose with the buttons above, or \/cancel/);
    const ask = h.lastBotMessage(alice, /Which exchange/);
    await h.press(alice, ask, 'Binance');
    await h.emu.waitForMessage(alice.id, /Binance: which mode/);
    await h.say(alice, 'spot', /Please choose with the buttons above/);
    await h.press(alice, h.lastBotMessage(alice, /Binance: which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'goodkey-ABCDEFGH5678', /API secret/);
    await h.say(alice, 'short', /That is too short for a secret \(at least 8 characters\)/);
    await h.say(alice, 'topsecret-zyxwvutsrq', /Checking/);
    await h.emu.waitForMessage(alice.id, /Connected Binance spot \(key …5678\)/);
  });

  it('OKX asks for the passphrase and warns that it cannot tell about withdrawals', async () => {
    const ask = await begin();
    await h.press(alice, ask, 'OKX');
    const mode = await h.emu.waitForMessage(alice.id, /OKX: which mode/);
    await h.press(alice, mode, /^Margin/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /OKX margin: which margin mode/), /^Isolated/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'okxkey-12345678', /API secret/);
    await h.say(alice, 'okxsecret-12345678', /API passphrase/);
    await h.say(alice, 'my pass', /The passphrase contains a space \(U\+0020\) at position 3/);
    await h.say(alice, 'MyPass!9', /Checking the key with OKX/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected OKX margin \(isolated margin\)/);
    expect(ok.text).toMatch(/OKX does not tell whether this key can withdraw/);
  });

  it('/connect offers each exchange with exactly the modes its quirks file trades (one source of exchange facts)', async () => {
    const offered: Record<string, string[]> = {};
    await h.say(alice, '/start', /Welcome, Alice/);
    for (const id of EXCHANGE_IDS) {
      const q = quirksFor(id);
      const ask = await h.say(alice, '/connect', /Which exchange/);
      await h.press(alice, ask, q.name);
      const mode = await h.emu.waitForMessage(alice.id, new RegExp(`${q.name}: which mode`));
      offered[id] = mode.buttons.map((row) => row[0]!.text);
      expect(offered[id]).toEqual([...q.modes.map((m) => MODE_LABELS[m]), 'Cancel']);
      await h.say(alice, '/cancel', /Cancelled/);
    }
    // what a trader sees, concretely: Bybit's unified account trades spot margin, Kraken spot margin too
    expect(offered.bybit).toContain('Margin (long and short, borrowing)');
    expect(offered.kraken).toEqual(['Spot (long only, no leverage)', 'Margin (long and short, borrowing)', 'Futures (perpetuals, long and short)', 'Cancel']);
  });

  it('/cancel leaves at any step and nothing is saved; a command mid-dialog leaves it and runs', async () => {
    const ask = await begin();
    await h.press(alice, ask, 'Kraken');
    const mode = await h.emu.waitForMessage(alice.id, /Kraken: which mode/);
    await h.press(alice, mode, /^Futures/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'krakenkey-12345678', /API secret/);
    await h.say(alice, '/cancel', /Cancelled. Nothing was saved/);
    await h.say(alice, '/cancel', /Nothing to cancel/);
    // after the dialog, plain text is not taken as a secret
    await h.say(alice, 'hello', /did not understand/);

    const again = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, again, 'Bybit');
    await h.emu.waitForMessage(alice.id, /Bybit: which mode/);
    await h.say(alice, '/positions', /No open positions/);
    await h.say(alice, 'still here?', /did not understand/);
    expect(await h.db.db.select().from(apiKeys)).toHaveLength(0);
  });

  it('a dialog survives a restart, and its stored state never shows the secret', async () => {
    const ask = await begin();
    await h.press(alice, ask, 'Binance');
    const mode = await h.emu.waitForMessage(alice.id, /Binance: which mode/);
    await h.press(alice, mode, /^Futures/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance futures: which margin mode/), /^Cross/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'goodkey-RESTART9876', /API secret/);

    const stored = await h.db.db.select().from(botStorage).where(sql`${botStorage.key} like 'conv:%'`);
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored[0]!.value)).not.toContain('RESTART9876');

    await h.restartBot();
    await h.say(alice, 'topsecret-after-restart', /Checking the key with Binance/);
    await h.emu.waitForMessage(alice.id, /Connected Binance futures \(cross margin\) \(key …9876\)/);
    // the finished dialog's state is deleted right after its last reply
    await until(async () => (await h.db.db.select().from(botStorage).where(sql`${botStorage.key} like 'conv:%'`)).length === 0, 'dialog state deleted');
  });

  it('/accounts removes an account after confirmation, but not while it has an open position', async () => {
    const ask = await begin();
    await h.press(alice, ask, /Paper/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /Paper account ready/);
    const fake = h.engine as FakeEngineFacade;
    const account = fake.accounts[0]!;
    const position = await fake.open({ userId: account.userId, accountId: account.id });

    let list = await h.say(alice, '/accounts', /Your accounts/);
    expect(list.text).toMatch(/#1 🧪 Paper Binance spot · ✅ takes signals\n\s+• BTC\/USDT long/);
    // switching signal trading off keeps the account and its position; on again
    const paused = await h.press(alice, list, /Pause #1/);
    expect(paused.answer).toBe('takes no new signals');
    list = await h.emu.waitForMessage(alice.id, /⏸ takes no new signals/);
    await h.press(alice, list, /Trade #1/);
    list = await h.emu.waitForMessage(alice.id, /✅ takes signals/);
    await h.press(alice, list, /Remove #1/);
    const confirm = await h.emu.waitForMessage(alice.id, /Remove Paper Binance spot\?/);
    const refused = await h.press(alice, h.emu.messages(alice.id).find((m) => m.message_id === confirm.message_id)!, 'Yes, remove it');
    expect(refused.answer).toMatch(/has 1 open position/);

    await fake.closePosition({ telegramId: alice.id }, account.userId, position.id, 1);
    list = await h.say(alice, '/accounts', /Your accounts/);
    await h.press(alice, list, /Remove #1/);
    const confirm2 = await h.emu.waitForMessage(alice.id, /Remove Paper Binance spot\?/);
    const removed = await h.press(alice, h.emu.messages(alice.id).find((m) => m.message_id === confirm2.message_id)!, 'Yes, remove it');
    expect(removed.answer).toBe('Removed.');
    await h.emu.waitForMessage(alice.id, /No accounts yet/);
  });
});
