/**
 * The real app process stops cleanly (exit 0, within seconds) even when the stop comes at an
 * awkward moment: while polling is only starting, or while Telegram is unreachable.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startBotApiEmulator, type BotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess, type BotProcess, type BotProcessExit } from '../support/bot-process.ts';
import { seedPgliteDataDir } from '../support/databases.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function launch(): Promise<{ emu: BotApiEmulator; app: BotProcess; env: Record<string, string> }> {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-stop-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  // an initialised database: these tests are about stopping (start.e2e starts on an empty one)
  seedPgliteDataDir(dataDir);
  const env = { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: dataDir, SECRET_KEY: randomBytes(32).toString('base64') };
  const app = startBotProcess({ env });
  cleanups.push(() => app.stop('SIGKILL'));
  return { emu, app, env };
}

function exitWithin(app: BotProcess, ms: number): Promise<BotProcessExit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM. Output:\n${app.output()}`)), ms);
    void app.exited.then((e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

it('SIGTERM right after the command menu is registered (polling not yet started) exits 0', { timeout: 120_000 }, async () => {
  const { emu, app } = await launch();
  await emu.waitForCall('setMyCommands', undefined, 60_000);
  void app.stop('SIGTERM');
  const exit = await exitWithin(app, 8_000);
  expect(exit, app.output()).toEqual({ code: 0, signal: null });
  expect(app.output()).not.toContain('fatal');
});

it('SIGTERM while Telegram is unreachable exits 0 within seconds', { timeout: 120_000 }, async () => {
  const { emu, app } = await launch();
  await emu.waitForCall('getUpdates', undefined, 60_000);
  emu.setOutage('502');
  await emu.waitForCall('getUpdates', (c) => c.status === 502, 15_000);
  void app.stop('SIGTERM');
  const exit = await exitWithin(app, 8_000);
  expect(exit, app.output()).toEqual({ code: 0, signal: null });
});

it('a second app on the same data directory refuses to start and names the reason; the first keeps running', { timeout: 120_000 }, async () => {
  const { emu, app, env } = await launch();
  await emu.waitForCall('setMyCommands', undefined, 60_000);
  const second = startBotProcess({ env });
  cleanups.push(() => second.stop('SIGKILL'));
  const exit = await exitWithin(second, 30_000);
  expect(exit.code, second.output()).toBe(3);
  expect(second.output()).toMatch(/in use by another process \(pid \d+\)/);
  expect(app.proc.exitCode).toBeNull();
});
