import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Bot, HttpError } from 'grammy';
import { createLogger } from '../src/log.ts';
import { createBot } from '../src/bot/create-bot.ts';
import { createBotStore } from '../src/db/repos/bot-state.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { openTestDatabase } from './support/databases.ts';
import { FakeEngineFacade, fakeDesk } from './fakes/engine-facade.ts';
import { runBot } from '../src/bot/run-bot.ts';
import { startBotApiEmulator } from './emulators/bot-api.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger redaction', () => {
  const token = '123456:SECRET-bot-token-value';
  const secretKey = 'super-secret-key-material-123';

  it('removes secrets by path at any depth and by value in messages and errors', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination, secrets: [token, secretKey] });
    log.info({ apiKey: 'AKIA-key-1', account: { secret: 'sek-2', passphrase: 'pp-3', nested: { password: 'pw-4' } } }, 'connect');
    log.info({ headers: { 'X-MBX-APIKEY': 'hdr-5', authorization: 'Bearer abc-6' } }, 'request');
    log.info(`calling https://api.telegram.org/bot${token}/getMe with ${secretKey}`);
    log.error({ err: new Error(`failed for bot${token}`) }, 'boom');
    const out = lines.join('');
    for (const leaked of ['AKIA-key-1', 'sek-2', 'pp-3', 'pw-4', 'hdr-5', 'abc-6', token, secretKey]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('[REDACTED]');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!).msg).toBe('connect');
  });
});

describe('secrets at every depth of an error', () => {
  /** shaped like a bot token (digits, ':', 35 url-safe characters), built so no token-like literal sits in the source */
  const botToken = `${'1'.repeat(10)}:${'FAKE_TEST_TOKEN'.padEnd(35, '-')}`;
  const secretPart = botToken.split(':')[1]!;

  async function unreachableRoot(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  }

  it("grammY's HttpError from an unreachable Bot API root keeps no token in the log, however it is logged", async () => {
    const bot = new Bot(botToken, { client: { apiRoot: await unreachableRoot() } });
    const err: unknown = await bot.api.sendMessage(42, 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    // the token is really in there (the original fetch error's message holds the URL)
    expect(inspect(err, { depth: 10 })).toContain(secretPart);

    // with the token known (as main.ts passes it) and without (its shape in the URL is enough)
    for (const secrets of [[botToken], []]) {
      const { lines, destination } = capture();
      const log = createLogger({ level: 'info', destination, secrets });
      log.error({ err }, 'telegram unreachable');
      log.error(err as Error);
      log.error({ error: err, nested: { deeper: { err } } }, 'nested');
      log.error({ err: new Error('delivery failed', { cause: new Error('send failed', { cause: err }) }) }, 'cause chain');
      log.error({ err: new AggregateError([err, new Error(`GET https://api.telegram.org/bot${botToken}/getMe`)], 'all failed') }, 'aggregate');
      const out = lines.join('');
      expect(lines).toHaveLength(5);
      expect(out).not.toContain(secretPart);
      // what helps find the fault stays
      expect(out).toContain('ECONNREFUSED');
      expect(out).toContain(`/bot[REDACTED]/sendMessage`);
      expect(JSON.parse(lines[3]!).err.cause.cause.type).toBe('HttpError');
    }
  });

  it('the bot, when its connection to Telegram drops, logs the failure without the token', async () => {
    const emu = await startBotApiEmulator({ token: botToken });
    const db = await openTestDatabase('pglite');
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination, secrets: [] });
    const bot = createBot({
      token: botToken,
      apiRoot: emu.url,
      logger,
      adminIds: [],
      store: createBotStore(db.db, createSecretBox(randomBytes(32).toString('base64'))),
      engine: new FakeEngineFacade({ desk: fakeDesk(db.db) }),
      botInfo: emu.botInfo,
    });
    const polling = await runBot(bot, { timeoutSeconds: 1 });
    try {
      await emu.waitForCall('getUpdates', undefined, 5000);
      // the reply and the error handler's apology both lose their connection
      emu.failNext('sendMessage', 2, 'disconnect');
      emu.sendText({ id: 81001, first_name: 'Alice' }, '/help');
      await expect.poll(() => lines.join(''), { timeout: 8000 }).toContain('telegram unreachable');
      const out = lines.join('');
      expect(out).toContain('/bot[REDACTED]/sendMessage');
      expect(out).not.toContain(secretPart);
    } finally {
      await polling.stop();
      await emu.close();
      await db.destroy();
    }
  });

  it('secret-named fields inside errors, query credentials and cycles', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination, secrets: [] });
    const e = Object.assign(new Error('binance GET https://api.binance.com/api/v3/account?timestamp=1&signature=f00dfeed1234&apiKey=AKIAKEY9'), {
      request: { headers: { 'X-MBX-APIKEY': 'hdr-key-5' }, body: 'secret=sek-6&size=1' },
    });
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    log.error({ err: new Error('outer', { cause: e }), loop }, 'exchange failed');
    const out = lines.join('');
    for (const leaked of ['f00dfeed1234', 'AKIAKEY9', 'hdr-key-5', 'sek-6']) expect(out).not.toContain(leaked);
    expect(JSON.parse(lines[0]!).loop.self).toBe('[Circular]');
  });
});
