/**
 * Button data is checked in shape before anything looks it up (a forged or mangled button answers
 * "This button has expired", never an error from the database), on the real engine and database;
 * credentials with characters no exchange takes are refused, naming the character and where it is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

describe('forged and mangled buttons on the real engine', () => {
  beforeEach(async () => {
    const feed = new ManualFeed('binance', { now: () => Date.now() });
    feed.push('BTC/USDT', 100_000);
    h = await startHarness({ engine: realEngine({ priceFeed: feed }, feed) });
  });

  const cases: Array<[string, string, string]> = [
    ['an id that is not a uuid', 'p:close:not-a-uuid:a1', 'This button has expired.'],
    ['SQL in the id', "p:ref:1' OR '1'='1:v1", 'This button has expired.'],
    ['a colon inside a value', 'p:close:x:y:z', 'This button has expired.'],
    ['an unknown action', 'p:nuke:6f1c2a9e-1b2c-4d3e-8f40-123456789abc:a1', 'This button has expired.'],
    ['a nonce of another shape', 'p:close:6f1c2a9e-1b2c-4d3e-8f40-123456789abc:zz<b>', 'This button has expired.'],
    ['an empty id', 'p:close::a1', 'This button has expired.'],
    ['an account id that is not a uuid', 'acc:rm:42', 'This button has expired. /accounts shows the list again.'],
    ['an account button with a colon inside', 'acc:yes:1:2', 'This button has expired. /accounts shows the list again.'],
    ['a settings button with a colon inside', 's:edit:risk:x', 'This button has expired. /settings shows the menu again.'],
    ['a well-shaped id of no position', 'p:close:6f1c2a9e-1b2c-4d3e-8f40-123456789abc:a1', 'This is not one of your positions.'],
  ];
  it('each answers as expected and nothing breaks', async () => {
    const hello = await h.say(alice, '/start', /Welcome, Alice/);
    for (const [name, data, expected] of cases) {
      const answer = await h.emu.pressButton(alice, hello.message_id, data, { force: true }).answer;
      expect(answer.text, `${name}: ${data}`).toBe(expected);
    }
    // the bot still answers
    await h.say(alice, '/positions', /No open positions/);
  });
});

describe('credentials only of characters exchanges accept', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('names the character and its position, deletes the message and asks again; a clean key goes on', async () => {
    await h.say(alice, '/start', /Welcome/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Binance');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance: which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /API key/);
    const refusals: Array<[string, string]> = [
      ['Abcd\u0430fgh12345678', "The API key contains a Cyrillic letter 'а' (U+0430) at position 5"],
      ['Abcdefgh\u200b12345678', 'The API key contains a zero-width space (U+200B) at position 9'],
      ['\u200fAbcdefgh12345678', 'The API key contains a right-to-left mark (U+200F) at position 1'],
      ['Abcdefgh12345678🔑', "The API key contains an emoji '🔑' (U+1F511) at position 17"],
      ['Abcdéfgh12345678', "The API key contains an accented or non-English Latin letter 'é' (U+00E9) at position 5"],
    ];
    for (const [typed, reason] of refusals) {
      const r = await h.say(alice, typed, /contains/);
      expect(r.text).toBe(`${reason}: exchanges accept only printable ASCII (Latin letters, digits and symbols, no spaces or line breaks). Copy it again from the exchange. Send the API key again (the message will be deleted), or /cancel.`);
    }
    await h.say(alice, 'goodkey-ABCDEFGH1234', /API secret/);
    const secret = await h.say(alice, 'topsecret-\u0455yxwvutsrq', /contains/);
    expect(secret.text).toMatch(/^The secret contains a Cyrillic letter 'ѕ' \(U\+0455\) at position 11:/);
    await h.say(alice, 'topsecret-zyxwvutsrq', /Checking the key with Binance/);
    await h.emu.waitForMessage(alice.id, /Connected Binance spot \(key …1234\)/);
    // every message that held a credential is gone, the refused ones too
    const typedMessages = h.emu.messages(alice.id).filter((m) => m.from === 'user' && /Abcd|goodkey|topsecret|\u200f/.test(m.text));
    expect(typedMessages).toHaveLength(8);
    expect(typedMessages.every((m) => m.deleted)).toBe(true);
    expect((h.engine as FakeEngineFacade).accounts).toHaveLength(1);
  });
});
