/**
 * End to end: the real app process (as `npm start` runs it) against the Bot API emulator, with an
 * embedded database in a temporary DATA_DIR. A new user's first minute, and a clean shutdown.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startBotApiEmulator, type BotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBotProcess, type BotProcessExit } from '../support/bot-process.ts';

const alice: TgUser = { id: 70001, first_name: 'Alice', username: 'alice_trader' };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startApp(): Promise<{ emu: BotApiEmulator; app: ReturnType<typeof startBotProcess> }> {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-e2e-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      DATA_DIR: dataDir,
      SECRET_KEY: randomBytes(32).toString('base64'),
      ADMIN_TELEGRAM_IDS: '',
      LOG_LEVEL: 'info',
    },
  });
  cleanups.push(async () => {
    await app.stop('SIGKILL');
  });
  return { emu, app };
}

/** rejects when the process is still running after `ms` */
function exitWithin(exited: Promise<BotProcessExit>, ms: number, output: () => string): Promise<BotProcessExit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM. Output:\n${output()}`)), ms);
    void exited.then((e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

it('greets /start with what the bot does and the next step, registers the command menu, and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
  const { emu, app } = await startApp();
  // ready when the menu is registered; an app that dies first fails the test at once, with its output
  await Promise.race([
    emu.waitForCall('setMyCommands', (c) => c.ok, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\nApp output:\n${app.output()}`);
    }),
    app.exited.then((exit) => {
      throw new Error(`the app exited (${JSON.stringify(exit)}) before registering its commands. Output:\n${app.output()}`);
    }),
  ]);
  const menu = emu.commands() as Array<{ command: string }>;
  expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(['start', 'connect', 'positions', 'settings', 'help']));

  emu.sendCommand(alice, 'start');
  const welcome = await emu.waitForMessage(alice.id, undefined, 20_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });
  expect(welcome.text, app.output()).toMatch(/Alice/);
  expect(welcome.text).toMatch(/signal/i);
  expect(welcome.text).toMatch(/\/connect|connect/i);

  void app.stop('SIGTERM');
  const exit = await exitWithin(app.exited, 5_000, app.output);
  expect(exit, app.output()).toEqual({ code: 0, signal: null });
  expect(app.output()).not.toContain(emu.token);
});
