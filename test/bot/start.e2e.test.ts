/**
 * End to end: the real app process (as `npm start` runs it) against the Bot API emulator, with an
 * embedded database in a temporary DATA_DIR. A new user's first minute, a clean shutdown, and a
 * restart that remembers them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startBotApiEmulator, type BotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBotProcess, type BotProcess, type BotProcessExit } from '../support/bot-process.ts';
import { seedPgliteDataDir } from '../support/databases.ts';

const alice: TgUser = { id: 70001, first_name: 'Alice', username: 'alice_trader' };

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  emu: BotApiEmulator;
  dataDir: string;
  secretKey: string;
}

/** `initialised`: the DATA_DIR holds a migrated database already (else the app creates it) */
async function setup(options: { initialised?: boolean } = {}): Promise<Setup> {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-e2e-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (options.initialised) seedPgliteDataDir(dataDir);
  return { emu, dataDir, secretKey: randomBytes(32).toString('base64') };
}

/** Starts the app and resolves once it has registered its command menu (it is polling then). */
async function startApp({ emu, dataDir, secretKey }: Setup): Promise<BotProcess> {
  const before = emu.calls().length;
  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      DATA_DIR: dataDir,
      SECRET_KEY: secretKey,
      ADMIN_TELEGRAM_IDS: '',
      LOG_LEVEL: 'info',
    },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  // an app that dies first fails the test at once, with its output
  await Promise.race([
    emu.waitForCall('setMyCommands', (c) => c.ok && c.seq > before, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\nApp output:\n${app.output()}`);
    }),
    app.exited.then((exit) => {
      throw new Error(`the app exited (${JSON.stringify(exit)}) before registering its commands. Output:\n${app.output()}`);
    }),
  ]);
  return app;
}

/** SIGTERM, then the exit; rejects when the process is still running after `ms` */
function terminate(app: BotProcess, ms: number): Promise<BotProcessExit> {
  void app.stop('SIGTERM');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM. Output:\n${app.output()}`)), ms);
    void app.exited.then((e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

async function reply(emu: BotApiEmulator, app: BotProcess, chatId: number) {
  return emu.waitForMessage(chatId, undefined, 20_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });
}

it('greets /start with what the bot does and the next step, registers the command menu, and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
  const s = await setup();
  const app = await startApp(s);
  const menu = s.emu.commands() as Array<{ command: string }>;
  expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(['start', 'connect', 'positions', 'settings', 'help']));

  s.emu.sendCommand(alice, 'start');
  const welcome = await reply(s.emu, app, alice.id);
  expect(welcome.text, app.output()).toMatch(/Alice/);
  expect(welcome.text).toMatch(/signal/i);
  expect(welcome.text).toMatch(/\/connect|connect/i);

  expect(await terminate(app, 5_000), app.output()).toEqual({ code: 0, signal: null });
  expect(app.output()).not.toContain(s.emu.token);
  expect(app.output()).not.toContain(s.secretKey);
});

it('remembers the trader after a restart on the same DATA_DIR', { timeout: 120_000 }, async () => {
  // the first start on an empty DATA_DIR is the test above
  const s = await setup({ initialised: true });
  const first = await startApp(s);
  s.emu.sendCommand(alice, 'start');
  expect((await reply(s.emu, first, alice.id)).text).toMatch(/^Welcome/);
  expect((await terminate(first, 5_000)).code).toBe(0);

  const second = await startApp(s);
  s.emu.sendCommand(alice, 'start');
  expect((await reply(s.emu, second, alice.id)).text, second.output()).toMatch(/welcome back/i);
  expect((await terminate(second, 5_000)).code).toBe(0);
});
