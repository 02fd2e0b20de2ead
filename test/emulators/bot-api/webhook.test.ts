/** Webhook mode of the emulator, as Telegram behaves: setWebhook, pushes, the 409 on getUpdates, failures retried. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBotApiEmulator, type BotApiEmulator } from '../bot-api.ts';
import { alice } from './harness.ts';

interface Received {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A stand-in for the app's HTTP server: records each POST and answers what `answer` says. */
async function receiver(answer: (n: number) => number | 'hang' = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> });
      const a = answer(received.length);
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' }).end('');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tg/updates`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** a URL on a port nothing listens on (just freed): connections are refused */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/tg`;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emulator(options: Parameters<typeof startBotApiEmulator>[0] = {}): Promise<BotApiEmulator> {
  const emu = await startBotApiEmulator({ localBotApiServer: true, webhookRetryMs: 200, ...options });
  cleanups.push(() => emu.close());
  return emu;
}

async function call(emu: BotApiEmulator, method: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${emu.url}/bot${emu.token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("Telegram's own server refuses webhooks it would not post to", () => {
  it.each([
    ['an http URL', 'http://bot.example.com/tg', 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook'],
    ['a port other than 443, 80, 88 and 8443', 'https://bot.example.com:3000/tg', 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443'],
  ])('%s', async (_what, url, description) => {
    const emu = await emulator({ localBotApiServer: false });
    expect(await call(emu, 'setWebhook', { url })).toEqual({ status: 400, json: { ok: false, error_code: 400, description } });
    expect((await call(emu, 'getWebhookInfo')).json['result']).toMatchObject({ url: '' });
  });

  it('accepts https on 8443 and reports it', async () => {
    const emu = await emulator({ localBotApiServer: false });
    expect((await call(emu, 'setWebhook', { url: 'https://bot.example.com:8443/tg', secret_token: 'abc_DEF-123' })).json).toEqual({ ok: true, result: true });
    expect((await call(emu, 'getWebhookInfo')).json['result']).toMatchObject({ url: 'https://bot.example.com:8443/tg', max_connections: 40 });
  });

  it.each([
    ['a character Telegram does not allow', 'not allowed!', 'Bad Request: secret token contains unallowed characters'],
    ['257 characters', 'a'.repeat(257), 'Bad Request: secret token is too long'],
  ])('refuses a secret token with %s', async (_what, secret_token, description) => {
    const emu = await emulator();
    expect((await call(emu, 'setWebhook', { url: 'http://127.0.0.1:9/tg', secret_token })).json).toEqual({ ok: false, error_code: 400, description });
  });
});

describe('with a webhook set', () => {
  it('posts each update as JSON with the secret token header, and an answered update is no longer pending', async () => {
    const app = await receiver();
    cleanups.push(() => app.close());
    const emu = await emulator();
    expect((await call(emu, 'setWebhook', { url: app.url, secret_token: 's3cret_token', allowed_updates: ['message', 'callback_query'] })).json).toEqual({ ok: true, result: true });

    const sent = emu.sendCommand(alice, 'start');
    await expect.poll(() => emu.pendingUpdates()).toBe(0);
    expect(app.received).toHaveLength(1);
    const [first] = app.received;
    expect(first!.headers['x-telegram-bot-api-secret-token']).toBe('s3cret_token');
    expect(first!.headers['content-type']).toBe('application/json');
    expect(first!.body).toMatchObject({ update_id: sent.update_id, message: { text: '/start', chat: { id: alice.id } } });
    expect((await call(emu, 'getWebhookInfo')).json['result']).toEqual({
      url: app.url,
      has_custom_certificate: false,
      pending_update_count: 0,
      max_connections: 40,
      allowed_updates: ['message', 'callback_query'],
      ip_address: '127.0.0.1',
    });
  });

  it("answers getUpdates with 409 in Telegram's words until deleteWebhook, which keeps pending updates", async () => {
    const emu = await emulator();
    // nothing listens there: the update stays pending
    await call(emu, 'setWebhook', { url: await deadUrl() });
    const sent = emu.sendText(alice, 'hello');
    expect(await call(emu, 'getUpdates')).toEqual({
      status: 409,
      json: { ok: false, error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" },
    });
    expect((await call(emu, 'deleteWebhook', { drop_pending_updates: false })).json).toEqual({ ok: true, result: true });
    expect((await call(emu, 'getWebhookInfo')).json['result']).toMatchObject({ url: '', pending_update_count: 1 });
    const updates = (await call(emu, 'getUpdates')).json['result'] as Array<{ update_id: number }>;
    expect(updates.map((u) => u.update_id)).toEqual([sent.update_id]);
  });

  it('ends a long poll held from before setWebhook with the 409', async () => {
    const emu = await emulator();
    const held = call(emu, 'getUpdates', { timeout: 30 });
    await emu.waitForCall('getUpdates');
    await call(emu, 'setWebhook', { url: await deadUrl() });
    expect((await held).status).toBe(409);
  });

  it('keeps an update answered with 500, reports the error, and delivers it on a later try', async () => {
    const app = await receiver((n) => (n === 1 ? 500 : 200));
    cleanups.push(() => app.close());
    const emu = await emulator({ webhookRetryMs: 300 });
    await call(emu, 'setWebhook', { url: app.url });
    const sent = emu.sendCommand(alice, 'start');

    await expect.poll(() => emu.webhookDeliveries().length).toBeGreaterThanOrEqual(1);
    await expect.poll(() => emu.pendingUpdates()).toBe(0);
    const deliveries = emu.webhookDeliveries();
    expect(deliveries.map((d) => [d.update_id, d.status])).toEqual([
      [sent.update_id, 500],
      [sent.update_id, 200],
    ]);
    expect(deliveries[1]!.time - deliveries[0]!.time).toBeGreaterThanOrEqual(300);
    const info = (await call(emu, 'getWebhookInfo')).json['result'] as Record<string, unknown>;
    expect(info['last_error_message']).toBe('Wrong response from the webhook: 500 Internal Server Error');
    expect(info['last_error_date']).toEqual(expect.any(Number));
  });

  it('counts an answer slower than its timeout as failed ("Read timeout expired") and tries again', async () => {
    const app = await receiver((n) => (n === 1 ? 'hang' : 200));
    cleanups.push(() => app.close());
    const emu = await emulator({ webhookTimeoutMs: 300, webhookRetryMs: 100 });
    await call(emu, 'setWebhook', { url: app.url });
    emu.sendCommand(alice, 'start');
    await expect.poll(() => emu.pendingUpdates(), { timeout: 5000 }).toBe(0);
    expect(emu.webhookDeliveries().map((d) => d.error ?? d.status)).toEqual(['Read timeout expired', 200]);
    expect(app.received).toHaveLength(2);
  });

  it('reports a refused connection, and leaves the update pending', async () => {
    const emu = await emulator({ webhookRetryMs: 60_000 });
    await call(emu, 'setWebhook', { url: await deadUrl() });
    emu.sendText(alice, 'hello');
    await expect.poll(() => emu.webhookDeliveries()[0]?.error).toBe('Connection refused');
    expect((await call(emu, 'getWebhookInfo')).json['result']).toMatchObject({ pending_update_count: 1, last_error_message: 'Connection refused' });
  });

  it('does not post update kinds left out of allowed_updates (Telegram never creates them)', async () => {
    const app = await receiver();
    cleanups.push(() => app.close());
    const emu = await emulator({ knownUsers: [alice] });
    await call(emu, 'setWebhook', { url: app.url, allowed_updates: ['callback_query'] });
    emu.sendText(alice, 'a message the bot did not ask for');
    await expect.poll(() => emu.pendingUpdates()).toBe(0);
    expect(app.received).toHaveLength(0);
  });
});
