/**
 * The real app process (as `npm start` runs it) serves /healthz and /metrics on HTTP_PORT, answers
 * an unknown hook id with 404 without logging it, and closes the server on SIGTERM (exit 0).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startBotApiEmulator } from '../emulators/bot-api.ts';
import { startBotProcess } from '../support/bot-process.ts';
import { seedPgliteDataDir } from '../support/databases.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('serves /healthz and /metrics, 404s an unknown hook, and stops on SIGTERM', { timeout: 120_000 }, async () => {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-http-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  seedPgliteDataDir(dataDir);
  const app = startBotProcess({
    env: { TELEGRAM_BOT_TOKEN: emu.token, TELEGRAM_API_ROOT: emu.url, DATA_DIR: dataDir, SECRET_KEY: randomBytes(32).toString('base64'), HTTP_HOST: '127.0.0.1' },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  const out = await app.waitForOutput(/HTTP server listening on port (\d+)/, 60_000);
  const port = Number(/HTTP server listening on port (\d+)/.exec(out)![1]);
  const base = `http://127.0.0.1:${port}`;

  // 503 while the engine restores positions, then 200 (no position: no feed in use)
  await expect
    .poll(async () => (await fetch(`${base}/healthz`)).status, { timeout: 60_000, interval: 250 })
    .toBe(200);
  const health = (await (await fetch(`${base}/healthz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
  expect(health.status).toBe('ok');
  expect(Object.keys(health.checks)).toEqual(['engine', 'database', 'marketData']);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/^ase_open_positions 0$/m);
  expect(metrics).toMatch(/^ase_process_resident_memory_bytes \d+/m);

  const secretLookingId = 'Zz9-not-a-real-hook-id-0123456789';
  const miss = await fetch(`${base}/hook/${secretLookingId}`, { method: 'POST', body: '{"action":"buy","symbol":"BTCUSDT"}' });
  expect(miss.status).toBe(404);

  void app.stop('SIGTERM');
  const exit = await app.exited;
  expect(exit, app.output()).toEqual({ code: 0, signal: null });
  expect(app.output()).not.toContain(secretLookingId);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
