/**
 * End to end: the real app process in webhook mode (TELEGRAM_WEBHOOK_URL and _SECRET) against the
 * Bot API emulator acting as a self-hosted Bot API server (which posts to http://127.0.0.1). The
 * app sets the webhook, never long-polls, answers /start through it, refuses a POST without the
 * secret token, and leaves the webhook set when it stops (another process keeps serving it). On
 * PostgreSQL, two processes behind a round-robin proxy both serve the webhook.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBotProcess } from '../support/bot-process.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';

const alice: TgUser = { id: 72001, first_name: 'Alice', username: 'alice_hooked' };
const mallory: TgUser = { id: 72002, first_name: 'Mallory' };
const SECRET = randomBytes(24).toString('hex');

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** a port free right now: the webhook URL names it before the app listens on it */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('sets the webhook, answers /start through it, refuses a POST without the secret, never calls getUpdates, and keeps the webhook on SIGTERM', { timeout: 120_000 }, async () => {
  const emu = await startBotApiEmulator({ localBotApiServer: true, webhookRetryMs: 500, knownUsers: [mallory] });
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-webhook-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  seedPgliteDataDir(dataDir);
  const port = await freePort();
  const webhookUrl = `http://127.0.0.1:${port}/telegram/updates`;

  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      TELEGRAM_WEBHOOK_URL: webhookUrl,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      DATA_DIR: dataDir,
      SECRET_KEY: randomBytes(32).toString('base64'),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
    },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  await app.waitForOutput(/bot started \(webhook on \/telegram\/updates/, 60_000);

  const set = emu.calls('setWebhook');
  expect(set).toHaveLength(1);
  expect(set[0]!.params).toMatchObject({ url: webhookUrl, secret_token: SECRET, allowed_updates: ['message', 'callback_query'], drop_pending_updates: false });
  expect(await (await fetch(`${emu.url}/bot${emu.token}/getWebhookInfo`)).json()).toMatchObject({ result: { url: webhookUrl, pending_update_count: 0 } });

  // someone who found the URL but not the secret: 401, and the bot does not act on it
  const forged = {
    update_id: 990001,
    message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: mallory.id, type: 'private', first_name: mallory.first_name }, from: { ...mallory, is_bot: false }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
  };
  const refused = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
  expect(refused.status).toBe(401);
  const malformed = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: '{"update_id":' });
  expect(malformed.status).toBe(400);
  expect(((await malformed.json()) as { error: string }).error).toMatch(/^the body is not JSON/);

  emu.sendCommand(alice, 'start');
  const welcome = await emu.waitForMessage(alice.id, undefined, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });
  expect(welcome.text, app.output()).toMatch(/Alice/);
  expect(welcome.text).toMatch(/connect/i);
  const deliveries = emu.webhookDeliveries();
  expect(deliveries.filter((d) => d.ok).map((d) => d.update_id)).toHaveLength(1);

  expect((await app.stop('SIGTERM')).code, app.output()).toBe(0);
  expect(emu.messages(mallory.id)).toEqual([]);
  expect(emu.calls('getUpdates')).toEqual([]);
  expect(emu.calls('deleteWebhook')).toEqual([]);
  // stopping is not deleting: Telegram keeps posting to the URL, which another process serves
  expect(await (await fetch(`${emu.url}/bot${emu.token}/getWebhookInfo`)).json()).toMatchObject({ result: { url: webhookUrl } });
  expect(app.output()).toMatch(/wrong or missing secret token/);
  expect(app.output()).not.toContain(SECRET);
  expect(app.output()).not.toContain(emu.token);
});

it('refuses to start with a webhook URL Telegram would not post to, naming the variable', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-webhook-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = startBotProcess({
    env: { TELEGRAM_BOT_TOKEN: '123456:TEST-TOKEN', TELEGRAM_WEBHOOK_URL: 'http://bot.example.com/tg', TELEGRAM_WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir },
  });
  expect((await app.exited).code).toBe(2);
  expect(app.output()).toMatch(/TELEGRAM_WEBHOOK_URL: Telegram posts updates only to https URLs/);
});

it('exits with what the Bot API server said when it refuses the webhook, without printing the secret', { timeout: 90_000 }, async () => {
  // Telegram's own behaviour: no http webhooks (the app lets http through for a self-hosted server)
  const emu = await startBotApiEmulator({ localBotApiServer: false });
  cleanups.push(() => emu.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-webhook-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  seedPgliteDataDir(dataDir);
  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/telegram/updates`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      DATA_DIR: dataDir,
      SECRET_KEY: randomBytes(32).toString('base64'),
      HTTP_HOST: '127.0.0.1',
    },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  expect((await app.exited).code, app.output()).toBe(1);
  expect(app.output()).toMatch(/Telegram refused the webhook http:\/\/127\.0\.0\.1:\d+\/telegram\/updates: Bad Request: bad webhook: An HTTPS URL must be provided for webhook/);
  expect(app.output()).not.toContain(SECRET);
  expect(emu.calls('getUpdates')).toEqual([]);
});

/** A reverse proxy in front of several processes, as a deployment has: POSTs go round-robin. */
async function roundRobinProxy(ports: () => number[]): Promise<{ port: number; served: Map<number, number>; close(): Promise<void> }> {
  const served = new Map<number, number>();
  let next = 0;
  const server = createHttpServer((req, res) => {
    const targets = ports();
    const port = targets[next++ % targets.length]!;
    served.set(port, (served.get(port) ?? 0) + 1);
    const upstream = httpRequest({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(databaseKinds().filter((k) => k === 'postgres'))('two processes on %s in webhook mode', () => {
  it('one sets the webhook (the Telegram job is leased), both stay up and both answer the updates a proxy spreads over them', { timeout: 300_000 }, async () => {
    const emu = await startBotApiEmulator({ localBotApiServer: true, webhookRetryMs: 500 });
    cleanups.push(() => emu.close());
    const url = await createFreshPostgresDatabase({ migrated: true });
    cleanups.push(() => dropPostgresDatabase(url));
    const ports = [await freePort(), await freePort()];
    const proxy = await roundRobinProxy(() => ports);
    cleanups.push(() => proxy.close());
    const webhookUrl = `http://127.0.0.1:${proxy.port}/telegram/updates`;
    const secretKey = randomBytes(32).toString('base64');
    const apps = ports.map((port, i) => {
      const dataDir = mkdtempSync(join(tmpdir(), `ase-webhook-${i}-`));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const app = startBotProcess({
        env: {
          TELEGRAM_BOT_TOKEN: emu.token,
          TELEGRAM_API_ROOT: emu.url,
          TELEGRAM_WEBHOOK_URL: webhookUrl,
          TELEGRAM_WEBHOOK_SECRET: SECRET,
          DATABASE_URL: url,
          COUNCIL_ENABLED: 'false',
          DATA_DIR: dataDir,
          SECRET_KEY: secretKey,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(port),
          LOG_LEVEL: 'info',
        },
      });
      cleanups.push(() => app.stop('SIGKILL'));
      return app;
    });
    for (const app of apps) await app.waitForOutput('shard leases taken', 120_000);
    await Promise.race(apps.map((app) => app.waitForOutput(/bot started \(webhook on \/telegram\/updates/, 120_000)));

    const users: TgUser[] = Array.from({ length: 6 }, (_, i) => ({ id: 73001 + i, first_name: `Trader${i}` }));
    for (const u of users) emu.sendCommand(u, 'start');
    for (const u of users) {
      const welcome = await emu.waitForMessage(u.id, undefined, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${apps.map((a) => a.output()).join('\n----\n')}`);
      });
      expect(welcome.text).toContain(u.first_name);
    }
    // the proxy sent POSTs to both processes, and each answered them
    expect([...proxy.served.keys()].sort()).toEqual([...ports].sort());
    expect(emu.webhookDeliveries().filter((d) => d.ok)).toHaveLength(users.length);
    expect(emu.calls('getUpdates')).toEqual([]);
    // registered once, by the process that holds the Telegram job
    expect(emu.calls('setWebhook').filter((c) => c.ok)).toHaveLength(1);
    expect(apps.filter((app) => /bot started \(webhook/.test(app.output()))).toHaveLength(1);
    for (const app of apps) expect((await app.stop('SIGTERM')).code, app.output()).toBe(0);
  });
});
