/**
 * The Telegram layer is presentation (issue 15 item 6): src/bot and the alert sender reach trading
 * data, traders and the audit log only through the engine facade. No drizzle, no database module,
 * no repo; and src/bot never imports src/notify (both use the formatters and keyboards in
 * src/telegram, so the two cannot form a cycle; test/architecture.test.ts checks every direction).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

describe('the Telegram layer talks only to the engine facade', () => {
  const telegram = [...files('src/bot'), ...files('src/telegram'), 'src/notify/telegram-sender.ts'];

  it.each(telegram)('%s imports no database code', (path) => {
    const bad = imports(path).filter((i) => i.startsWith('drizzle-orm') || i.startsWith('postgres') || i.includes('@electric-sql') || /\/db\//.test(i));
    expect(bad).toEqual([]);
  });

  it.each(files('src/bot'))('%s does not import src/notify', (path) => {
    expect(imports(path).filter((i) => i.includes('/notify/'))).toEqual([]);
  });

  it('the alert sender imports only the facade types, formatters, keyboards and the outgoing gate', () => {
    const allowed = [/^grammy$/, /engine\/events\.ts$/, /telegram\/format\//, /telegram\/keyboards\//, /telegram\/outgoing\.ts$/, /\.\/worker\.ts$/];
    expect(imports('src/notify/telegram-sender.ts').filter((i) => !allowed.some((a) => a.test(i)))).toEqual([]);
  });
});
