/**
 * The README's first minutes, offline (SPEC §9 done-when): the real app process with only a bot
 * token, the embedded database and the replay feed; a new trader starts the bot, connects Paper,
 * and the built-in council's first position arrives in the chat. Bot API emulator; the recorded
 * BTC/USDT week (test/fixtures) replayed at 10 candles a second (a council run every 1.5 s).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { startBotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBotProcess } from '../support/bot-process.ts';

const alice: TgUser = { id: 70011, first_name: 'Alice', username: 'alice_offline' };
const CANDLES = fileURLToPath(new URL('../fixtures/BTC_USDT-1m-2021-02-19.csv', import.meta.url));

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('start the bot, connect Paper, and see the council’s first position, offline on the replay feed', { timeout: 150_000 }, async () => {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-offline-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      DATA_DIR: dataDir,
      SECRET_KEY: randomBytes(32).toString('base64'),
      PRICE_FEED: 'replay',
      REPLAY_CANDLES: `BTC/USDT=${CANDLES}`,
      REPLAY_SPEED: '10',
      LOG_LEVEL: 'info',
    },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  const say = async (text: string, pattern: RegExp) => {
    emu.sendText(alice, text);
    return emu.waitForMessage(alice.id, pattern, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\nApp output:\n${app.output()}`);
    });
  };
  await emu.waitForCall('setMyCommands', (c) => c.ok, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });

  await say('/start', /Welcome/);
  const ask = await say('/connect', /Which exchange/);
  await emu.pressButtonLabeled(alice, ask.message_id, /Paper/).answer;
  const mode = await emu.waitForMessage(alice.id, /which mode/, 15_000);
  await emu.pressButtonLabeled(alice, mode.message_id, /^Spot/).answer;
  await emu.waitForMessage(alice.id, /Paper account ready/, 15_000);

  const opened = await emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 90_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });
  // priced on the replayed week (20 Feb 2021: BTC between 55 000 and 58 000)
  const entry = /Entry ([\d,.]+)/.exec(opened.text ?? '');
  expect(entry, opened.text).not.toBeNull();
  const price = Number(entry![1]!.replace(/,/g, ''));
  expect(price).toBeGreaterThan(54_000);
  expect(price).toBeLessThan(58_500);
  expect(app.output()).toMatch(/council wrote a signal/);

  const signals = await say('/signals', /COUNCIL_V2\.0_FALLBACK/);
  expect(signals.text).toMatch(/BTC\/USDT/);
});
