/**
 * The child-process runner: the app sees only PATH, HOME and the variables a test gives it, its
 * output is captured, and signals reach it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startBotProcess } from './bot-process.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function script(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bot-process-'));
  dirs.push(dir);
  const file = join(dir, 'script.ts');
  writeFileSync(file, source);
  return file;
}

it('runs TypeScript under a clean environment: PATH, HOME and the given variables only', async () => {
  process.env['PARENT_ONLY_SECRET'] = 'must-not-leak';
  try {
    const entry = script(`const keys: string[] = Object.keys(process.env).sort(); console.log(JSON.stringify({ keys, level: process.env.LOG_LEVEL }));`);
    const child = startBotProcess({ entry, env: { LOG_LEVEL: 'debug', UNSET_ME: undefined } });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const printed = JSON.parse(child.output().trim()) as { keys: string[]; level: string };
    expect(printed.level).toBe('debug');
    expect(printed.keys).not.toContain('PARENT_ONLY_SECRET');
    expect(printed.keys).not.toContain('UNSET_ME');
    expect(printed.keys).toEqual(expect.arrayContaining(['PATH', 'LOG_LEVEL']));
  } finally {
    delete process.env['PARENT_ONLY_SECRET'];
  }
});

it('captures stdout and stderr, waits for output, and delivers SIGTERM to the app', async () => {
  const entry = script(`
    process.on('SIGTERM', () => { console.error('got SIGTERM'); process.exit(3); });
    console.log('ready');
    setInterval(() => {}, 1000);
  `);
  const child = startBotProcess({ entry, env: {} });
  await child.waitForOutput('ready');
  expect(await child.stop('SIGTERM')).toEqual({ code: 3, signal: null });
  expect(child.output()).toContain('got SIGTERM');
});

it('rejects waitForOutput with the output when the process exits first', async () => {
  const entry = script(`console.log('config error: TELEGRAM_BOT_TOKEN is required'); process.exit(2);`);
  const child = startBotProcess({ entry, env: {} });
  await expect(child.waitForOutput('bot started')).rejects.toThrow(/exited before printing .*TELEGRAM_BOT_TOKEN is required/s);
  expect((await child.exited).code).toBe(2);
});
