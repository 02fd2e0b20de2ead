/**
 * Telegram's webhook on the HTTP server, in process: the emulator (as a self-hosted Bot API server,
 * which posts to http://127.0.0.1) delivers to the route, a grammY bot handles the updates. The
 * answer does not wait for a slow handler, so Telegram never times out and sends an update twice.
 */
import { Writable } from 'node:stream';
import { Bot } from 'grammy';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { registerTelegramRoute } from '../../src/http/telegram-route.ts';
import { createWebhookReceiver, type WebhookReceiver } from '../../src/bot/webhook-receiver.ts';
import { startBotApiEmulator, type BotApiEmulator, type TgUser } from '../emulators/bot-api.ts';

const alice: TgUser = { id: 81001, first_name: 'Alice' };
const bob: TgUser = { id: 81002, first_name: 'Bob' };
const SECRET = 'route-test_secret-0123456789';
const PATH = '/telegram/updates';

interface World {
  emu: BotApiEmulator;
  bot: Bot;
  receiver: WebhookReceiver;
  http: HttpServer;
  url: string;
  logs: () => string;
  handled: number[];
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `inited: false`: the bot has not fetched getMe yet (a process still starting) */
async function world(options: { webhookTimeoutMs?: number; inited?: boolean; concurrency?: number } = {}): Promise<World> {
  const emu = await startBotApiEmulator({ localBotApiServer: true, webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000, webhookRetryMs: 200 });
  cleanups.push(() => emu.close());
  let logged = '';
  const logger = createLogger({
    level: 'info',
    secrets: [SECRET],
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString('utf8');
        done();
      },
    }),
  });
  const bot = new Bot(emu.token, { client: { apiRoot: emu.url }, ...(options.inited === false ? {} : { botInfo: emu.botInfo }) });
  const handled: number[] = [];
  bot.use(async (ctx, next) => {
    handled.push(ctx.update.update_id);
    await next();
  });
  bot.command('start', (ctx) => ctx.reply(`Hello ${ctx.from?.first_name}`));
  bot.command('slow', async (ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await ctx.reply('done after 1.5 s');
  });
  bot.catch(() => {});
  const receiver = createWebhookReceiver({ bot, path: PATH, secretToken: SECRET, logger, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
  const http = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    // /healthz is not asked for here
    engine: { phase: () => 'running', status: () => Promise.reject(new Error('no engine in this test')), signalSweepSeconds: 300 },
  });
  registerTelegramRoute(http.app, { receiver, logger });
  const port = await http.start();
  cleanups.push(() => http.close());
  const url = `http://127.0.0.1:${port}${PATH}`;
  return {
    emu,
    bot,
    receiver,
    http,
    url,
    logs: () => logged,
    handled,
    async post(body, headers = { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }) {
      const res = await fetch(url, { method: 'POST', body, headers });
      return { status: res.status, text: await res.text() };
    },
  };
}

const update = (updateId: number, user: TgUser, text: string) =>
  JSON.stringify({
    update_id: updateId,
    message: { message_id: 1, date: 1_700_000_000, chat: { id: user.id, type: 'private', first_name: user.first_name }, from: { ...user, is_bot: false }, text, entities: [{ type: 'bot_command', offset: 0, length: text.length }] },
  });

describe('the Telegram webhook route', () => {
  it('answers a slow handler\'s update at once: delivered once although the handler outlasts Telegram\'s timeout', async () => {
    const w = await world({ webhookTimeoutMs: 500 });
    await w.bot.api.setWebhook(w.url, { secret_token: SECRET });
    w.emu.sendCommand(alice, 'slow');
    expect((await w.emu.waitForMessage(alice.id, /done after/, 10_000)).text).toBe('done after 1.5 s');
    const deliveries = w.emu.webhookDeliveries();
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    expect(w.handled).toHaveLength(1);
    expect((await w.bot.api.getWebhookInfo()).last_error_message).toBeUndefined();
  });

  it('refuses a request without the secret token, or with a wrong one: 401, not handled, the header not logged', async () => {
    const w = await world();
    const missing = await w.post(update(5001, bob, '/start'), { 'content-type': 'application/json' });
    const wrong = await w.post(update(5002, bob, '/start'), { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'guessed-secret-value-123' });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(JSON.parse(wrong.text)).toEqual({ ok: false, error: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' });
    expect(w.handled).toEqual([]);
    expect(w.logs()).toMatch(/"header":"missing".*wrong or missing secret token/);
    expect(w.logs()).toMatch(/"header":"wrong".*wrong or missing secret token/);
    expect(w.logs()).not.toContain('guessed-secret-value-123');
    expect(w.logs()).not.toContain(SECRET);
  });

  it.each([
    ['not JSON', '{"update_id": 1,', /^the body is not JSON \(/],
    ['an array', '[1,2]', /expected a JSON object/],
    ['a negative update_id', '{"update_id": -3, "message": {}}', /update_id must be a non-negative integer/],
    ['no update_id', '{"message": {"text": "hi"}}', /update_id must be a non-negative integer/],
    ['no update in it', '{"update_id": 7}', /expected update_id and one object such as message or callback_query/],
  ])('answers 400 naming the problem for a body that is %s', async (_what, body, error) => {
    const w = await world();
    const res = await w.post(body);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.text) as { error: string }).error).toMatch(error);
    expect(w.handled).toEqual([]);
  });

  it('handles an update sent twice (an answer lost on the way) once, and answers both 200', async () => {
    const w = await world();
    w.emu.addUser(bob);
    const first = await w.post(update(6001, bob, '/start'));
    const again = await w.post(update(6001, bob, '/start'));
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.text).toBe('');
    await w.emu.waitForMessage(bob.id, /Hello Bob/);
    await w.receiver.idle();
    expect(w.handled).toEqual([6001]);
    expect(w.emu.messages(bob.id).filter((m) => m.from === 'bot')).toHaveLength(1);
  });

  it('answers 503 until the bot knows itself (getMe), so Telegram sends the update again', async () => {
    const w = await world({ inited: false });
    w.emu.addUser(bob);
    expect((await w.post(update(7001, bob, '/start'))).status).toBe(503);
    await w.bot.init();
    expect((await w.post(update(7001, bob, '/start'))).status).toBe(200);
    await w.emu.waitForMessage(bob.id, /Hello Bob/);
    expect(w.handled).toEqual([7001]);
  });

  it('idle() resolves only after the handlers of answered updates have ended', async () => {
    const w = await world();
    w.emu.addUser(bob);
    expect((await w.post(update(8001, bob, '/slow'))).status).toBe(200);
    expect(w.emu.messages(bob.id)).toEqual([]);
    await w.receiver.idle();
    expect(w.emu.messages(bob.id).map((m) => m.text)).toEqual(['done after 1.5 s']);
  });

  it('holds a POST while `concurrency` handlers run, and answers it once one ends', async () => {
    const w = await world({ concurrency: 1 });
    w.emu.addUser(bob);
    expect((await w.post(update(9001, bob, '/slow'))).status).toBe(200);
    const second = w.post(update(9002, bob, '/start'));
    let answered = false;
    void second.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    expect((await second).status).toBe(200);
    // answered only when the slow handler had replied
    expect(w.emu.messages(bob.id).map((m) => m.text)[0]).toBe('done after 1.5 s');
    await w.emu.waitForMessage(bob.id, /Hello Bob/);
  });
});
