/**
 * Whatever a trader types at any prompt, the bot's reply is one Telegram accepts (the emulator
 * refuses malformed HTML, lone surrogates and texts over 4096 characters like Telegram does), and
 * the dialog goes on: the step is asked again, or the input was taken. Property-based (fast-check)
 * over every text prompt: the numeric and level settings, Adjust SL/TP, and the connect credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alice, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';
import { SETTING_FIELDS } from '../../src/domain/settings.ts';
import { SETTING_LABELS } from '../../src/telegram/settings-input.ts';
import { settingsData } from '../../src/telegram/callback-data.ts';
import { sectionOf } from '../../src/telegram/keyboards/settings.ts';
import type { MessageEvent } from '../emulators/bot-api.ts';

let h: Harness;
let fake: FakeEngineFacade;

beforeAll(async () => {
  h = await startHarness();
  fake = h.engine as FakeEngineFacade;
  await h.say(alice, '/start', /Welcome/);
  const ask = await h.say(alice, '/connect', /Which exchange/);
  await h.press(alice, ask, /Paper/);
  await h.press(alice, await h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
  await h.emu.waitForMessage(alice.id, /Paper account ready/);
  const account = fake.accounts[0]!;
  await fake.open({ userId: account.userId, accountId: account.id, entryPrice: 100_000, stopLoss: 98_000, takeProfit: 110_000 });
  await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
});
afterAll(async () => {
  await h.stop();
});

/** what the 869-input run found, and the edges of Telegram's limits */
const HOSTILE: string[] = [
  '<b>',
  '</b>',
  '<b>1</b>',
  '1<2',
  '2 > 1 & 0',
  '&',
  '&amp;lt;',
  '&#99999999;',
  '<a href="javascript:x">1</a>',
  '"><script>alert(1)</script>',
  '1\n2',
  '1,000',
  '1 000',
  '-1',
  '1e999',
  'NaN',
  '١٫٥',
  'а'.repeat(10),
  '\u200b1\u200f',
  '😀'.repeat(2100),
  '<'.repeat(4100),
  'x'.repeat(4096),
  `${'&'.repeat(2000)}${'<b>'.repeat(700)}`,
];

const hostileChars = fc.constantFrom('<', '>', '&', ';', '#', 'b', '/', '1', '0', ',', '.', ' ', '\n', '😀', 'а', '\u200b', '\u202e', '"', "'", '%');
const typed = fc
  .oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: hostileChars, maxLength: 60 }), fc.string({ unit: hostileChars, minLength: 3000, maxLength: 5000 }))
  // a Telegram client trims what is sent and sends nothing empty; a leading '/' is a command (it leaves the dialog)
  .map((s) => s.trim())
  .filter((s) => s !== '' && !s.startsWith('/'));

interface Prompt {
  name: string;
  /** brings the trader to the prompt */
  open(): Promise<void>;
  /** the reply asks this step again */
  again: RegExp;
  /** the reply took the input (the step is over) */
  taken: RegExp;
  /** after a taken input, the message that ends the dialog */
  settle?: RegExp;
}

async function openSetting(key: string, label: string): Promise<void> {
  const menu = await h.say(alice, '/settings', /Your settings/);
  // the section that holds the setting, then the setting
  h.emu.pressButton(alice, menu.message_id, settingsData.pack({ a: 'sec', k: sectionOf(key)! }));
  await h.emu.waitForMessage(alice.id, (m) => m.message_id === menu.message_id && m.buttons.flat().some((b) => b.callback_data === settingsData.pack({ a: 'edit', k: key })));
  h.emu.pressButton(alice, menu.message_id, settingsData.pack({ a: 'edit', k: key }));
  await h.emu.waitForMessage(alice.id, (m) => m.text.startsWith(label));
}

async function openAdjust(which: RegExp, question: RegExp): Promise<void> {
  const view = await h.positionCard(alice, /BTC\/USDT long/, /BTC\/USDT LONG/);
  await h.press(alice, view, '✏️ Adjust SL/TP');
  const choose = await h.emu.waitForMessage(alice.id, /What do you want to change/);
  await h.press(alice, choose, which);
  await h.emu.waitForMessage(alice.id, question);
}

async function openConnect(upTo: 'key' | 'secret' | 'passphrase'): Promise<void> {
  const ask = await h.say(alice, '/connect', /Which exchange/);
  await h.press(alice, ask, 'OKX');
  await h.press(alice, await h.emu.waitForMessage(alice.id, /OKX: which mode/), /^Spot/);
  await h.emu.waitForMessage(alice.id, /Send the <b>API key<\/b>|Send the API key/);
  if (upTo === 'key') return;
  await h.say(alice, 'okxkey-12345678', /API secret/);
  if (upTo === 'secret') return;
  await h.say(alice, 'okxsecret-12345678', /API passphrase/);
}

const settingPrompts: Prompt[] = SETTING_FIELDS.filter((f) => f.kind === 'number' || f.kind === 'integer' || f.kind === 'levels').map((f) => {
  const label = SETTING_LABELS[f.key] ?? f.key;
  return { name: `setting ${label}`, open: () => openSetting(f.key, label), again: new RegExp(`^(❌|⚠️)[\\s\\S]*\\n\\n${escapeRe(label)} — now`), taken: /^✅ / };
});

const prompts: Prompt[] = [
  ...settingPrompts,
  { name: 'Adjust SL', open: () => openAdjust(/^🛑 Stop loss/, /New stop loss price/), again: /^(❌|⚠️)[\s\S]*New stop loss price/, taken: /^(✅|❌) [^\n]*$/ },
  { name: 'Adjust TP', open: () => openAdjust(/^🎯 Take profit/, /New take profit price/), again: /^(❌|⚠️)[\s\S]*New take profit price/, taken: /^(✅|❌) [^\n]*$/ },
  { name: 'connect: API key', open: () => openConnect('key'), again: /Send the API key again/, taken: /API secret/ },
  { name: 'connect: secret', open: () => openConnect('secret'), again: /Send the secret again/, taken: /API passphrase/ },
  { name: 'connect: passphrase', open: () => openConnect('passphrase'), again: /Send the passphrase again/, taken: /Checking the key with OKX/, settle: /Connected OKX|Nothing was saved/ },
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const refused = () => h.emu.calls().filter((c) => !c.pending && !c.ok && ['sendMessage', 'editMessageText', 'answerCallbackQuery'].includes(c.method));

describe('any input at any prompt', () => {
  it.each(prompts.map((p) => [p.name, p] as const))('%s: the reply is valid for Telegram and the dialog goes on', async (_name, prompt) => {
    await prompt.open();
    let replies = 0;
    await fc.assert(
      fc.asyncProperty(typed, async (input) => {
        h.emu.sendText(alice, input);
        let reply: MessageEvent;
        try {
          reply = await h.emu.waitForMessage(alice.id, undefined, 8000);
        } catch (e) {
          throw new Error(`no reply to ${JSON.stringify(input.slice(0, 80))}: ${(e as Error).message}\n${h.emu.describeChat(alice.id)}`);
        }
        replies += 1;
        expect(refused(), JSON.stringify(input.slice(0, 80))).toEqual([]);
        expect(reply.text.length).toBeLessThanOrEqual(4096);
        const again = prompt.again.test(reply.text);
        const taken = prompt.taken.test(reply.text);
        expect(again || taken, `reply to ${JSON.stringify(input.slice(0, 80))}: ${reply.text.slice(0, 300)}`).toBe(true);
        if (taken) {
          if (prompt.settle) await h.emu.waitForMessage(alice.id, prompt.settle, 8000);
          else if (prompt.name.startsWith('connect')) await h.say(alice, '/cancel', /Cancelled/);
          await prompt.open();
        }
      }),
      { numRuns: HOSTILE.length + 10, examples: HOSTILE.map((s) => [s]) },
    );
    expect(replies).toBeGreaterThanOrEqual(HOSTILE.length);
    // the dialog is still there to leave
    await h.say(alice, '/cancel', /Cancelled\. Nothing was saved/);
  }, 120_000);
});
