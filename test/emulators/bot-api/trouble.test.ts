/** Trouble on Telegram's side: flood limits, injected failures and outages, and how grammY copes. */
import { describe, expect, it } from 'vitest';
import { Bot, GrammyError, HttpError } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { startBotApiEmulator } from '../bot-api.ts';
import { alice, bob, useEmulator } from './harness.ts';
import type { TgUser } from './types.ts';

const h = useEmulator();

describe('rate limits', () => {
  it('allows a burst of 3 per chat, then answers 429 with retry_after until a second passes', async () => {
    let now = 1_700_000_000_000;
    const limited = await startBotApiEmulator({ rateLimits: true, now: () => now, knownUsers: [alice, bob] });
    try {
      const send = (chat: TgUser) =>
        fetch(`${limited.url}/bot${limited.token}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: chat.id, text: 'alert' }) }).then(
          async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }),
        );
      for (let i = 0; i < 3; i++) expect((await send(alice)).status).toBe(200);
      expect((await send(alice)).json).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      expect((await send(bob)).status).toBe(200); // another chat has its own allowance
      now += 1000;
      expect((await send(alice)).status).toBe(200);
      expect(limited.messages(alice.id)).toHaveLength(4);
    } finally {
      await limited.close();
    }
  });

  it('limits all chats together at 30 per second', async () => {
    const users = Array.from({ length: 31 }, (_, i) => ({ id: 5000 + i, first_name: `U${i}` }));
    const limited = await startBotApiEmulator({ rateLimits: true, now: () => 0, knownUsers: users });
    try {
      const bot = new Bot(limited.token, { client: { apiRoot: limited.url }, botInfo: limited.botInfo });
      for (const u of users.slice(0, 30)) await bot.api.sendMessage(u.id, 'signal');
      await expect(bot.api.sendMessage(users[30]!.id, 'signal')).rejects.toMatchObject({ error_code: 429, parameters: { retry_after: 1 } });
    } finally {
      await limited.close();
    }
  });

  it('is recovered from by @grammyjs/auto-retry, which waits retry_after and delivers everything', async () => {
    // the emulator's clock moves only when the test says so: the second message is refused for sure
    let now = 1_700_000_000_000;
    const limited = await startBotApiEmulator({ rateLimits: { perChatBurst: 1 }, now: () => now, knownUsers: [alice] });
    try {
      const bot = new Bot(limited.token, { client: { apiRoot: limited.url }, botInfo: limited.botInfo });
      bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 5 }));
      const sending = (async () => {
        for (const n of [1, 2]) await bot.api.sendMessage(alice.id, `alert ${n}`);
      })();
      const refused = await limited.waitForCall('sendMessage', (c) => c.error_code === 429);
      expect(refused.params['text']).toBe('alert 2');
      now += 1000; // auto-retry sleeps retry_after (1 s) of real time, then finds the allowance refilled
      await sending;
      expect(limited.messages(alice.id).map((m) => m.text)).toEqual(['alert 1', 'alert 2']);
      expect(limited.calls('sendMessage').map((c) => c.status)).toEqual([200, 429, 200]);
    } finally {
      await limited.close();
    }
  });
});

describe('faults and outages', () => {
  it('fails the next N calls of a method with the given error, without effect', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    h.emu.failNext('sendMessage', 2, { error_code: 403 });
    for (let i = 0; i < 2; i++) await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toThrow('Forbidden: bot was blocked by the user');
    await bot.api.sendMessage(alice.id, 'third time');
    expect(h.emu.messages(alice.id).map((m) => m.text)).toEqual(['third time']);
  });

  it('can drop the connection after the message was delivered (the bot cannot know it arrived)', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    h.emu.failNext('sendMessage', 1, 'disconnect-after-apply');
    await expect(bot.api.sendMessage(alice.id, 'TP hit')).rejects.toBeInstanceOf(HttpError);
    expect(h.emu.messages(alice.id).map((m) => m.text)).toEqual(['TP hit']);
  });

  it('answers 502 or drops connections during an outage, and works again after it', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    h.emu.setOutage('502');
    await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toBeInstanceOf(HttpError);
    h.emu.setOutage('disconnect');
    await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toBeInstanceOf(HttpError);
    h.emu.setOutage(false);
    await bot.api.sendMessage(alice.id, 'back');
    expect(h.emu.messages(alice.id).map((m) => m.text)).toEqual(['back']);
    expect(h.emu.calls('sendMessage').map((c) => c.status)).toEqual([502, 0, 200]);
  });

  it('lets a polling bot resume after an outage ends', async () => {
    h.makeBot((bot) => bot.on('message:text', (ctx) => ctx.reply('pong')));
    await h.emu.waitForCall('getUpdates');
    h.emu.setOutage('502');
    h.emu.sendText(alice, 'ping');
    await h.emu.waitForCall('getUpdates', (c) => c.status === 502);
    h.emu.setOutage(false);
    expect((await h.emu.waitForMessage(alice.id, 'pong', 10_000)).text).toBe('pong');
  });
});

describe('test ergonomics', () => {
  it('explains a waitForMessage timeout with the chat history and failed calls', async () => {
    h.emu.addUser(alice);
    h.emu.sendText(alice, 'hello');
    await h.raw('sendMessage', { chat_id: alice.id, text: '<b>broken', parse_mode: 'HTML' });
    const error = await h.emu.waitForMessage(alice.id, /welcome/i, 100).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('#1 user: "hello"');
    expect((error as Error).message).toContain("sendMessage → 400 Bad Request: can't parse entities");
  });

  it('makes bot errors visible as GrammyError with the Telegram description', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    const error = await bot.api.sendMessage(alice.id, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toBe('Bad Request: chat not found');
  });
});
