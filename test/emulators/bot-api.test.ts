/**
 * The Bot API emulator, driven the way the app uses it: a real grammY Bot long-polling through HTTP.
 * If these pass, a test that fails against the emulator points at the bot, not the harness.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile, type Context } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { PNG } from 'pngjs';
import { startBotApiEmulator, type BotApiEmulator, type TgUser } from './bot-api.ts';

const alice: TgUser = { id: 1001, first_name: 'Alice', username: 'alice' };
const bob: TgUser = { id: 1002, first_name: 'Bob' };

let emu: BotApiEmulator;
let bots: Bot[] = [];

beforeEach(async () => {
  emu = await startBotApiEmulator();
});

afterEach(async () => {
  await Promise.all(bots.map((b) => (b.isRunning() ? b.stop() : undefined)));
  bots = [];
  await emu.close();
});

/** A bot pointed at the emulator; `polling` starts long polling with 1-second polls. */
function makeBot(setup: (bot: Bot) => void = () => {}, opts: { polling?: boolean; token?: string } = {}): Bot {
  const bot = new Bot<Context>(opts.token ?? emu.token, { client: { apiRoot: emu.url }, botInfo: emu.botInfo });
  setup(bot);
  bot.catch(() => {});
  bots.push(bot);
  if (opts.polling ?? true) void bot.start({ timeout: 1 });
  return bot;
}

/** Raw Bot API call over HTTP, for what grammY would never send. */
async function raw(method: string, body?: Record<string, unknown>, token = emu.token): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('long polling', () => {
  it('delivers a user text to the bot and records its reply in the same chat sequence', async () => {
    makeBot((bot) => bot.on('message:text', (ctx) => ctx.reply(`You said: ${ctx.message.text}`)));
    const sent = emu.sendText(alice, 'hello');
    const reply = await emu.waitForMessage(alice.id, /You said/);
    expect(reply).toMatchObject({ from: 'bot', event: 'sent', text: 'You said: hello', message_id: sent.message_id + 1 });
    expect(emu.calls('sendMessage')[0]?.params).toMatchObject({ chat_id: alice.id, text: 'You said: hello' });
    expect(emu.messages(alice.id).map((m) => [m.message_id, m.from, m.text])).toEqual([
      [1, 'user', 'hello'],
      [2, 'bot', 'You said: hello'],
    ]);
  });

  it('holds getUpdates until an update is queued and answers it with that update', async () => {
    const poll = raw('getUpdates', { timeout: 10 });
    await until(() => emu.calls('getUpdates').length === 1, 'the poll to arrive');
    emu.sendText(bob, 'ping');
    const { json } = await poll;
    expect(json['ok']).toBe(true);
    expect(json['result']).toMatchObject([{ message: { text: 'ping', chat: { id: bob.id, type: 'private' }, from: { id: bob.id } } }]);
  });

  it('keeps updates until an offset above them confirms them, with increasing update_ids', async () => {
    const ids = [emu.sendText(alice, 'a'), emu.sendText(alice, 'b'), emu.sendText(bob, 'c')].map((m) => m.update_id);
    expect(ids[1]! - ids[0]!).toBe(1);
    expect(ids[2]! - ids[1]!).toBe(1);
    const first = await raw('getUpdates', { limit: 2 });
    expect((first.json['result'] as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual(ids.slice(0, 2));
    const again = await raw('getUpdates', {});
    expect((again.json['result'] as unknown[]).length).toBe(3);
    const confirmed = await raw('getUpdates', { offset: ids[1]! + 1 });
    expect((confirmed.json['result'] as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([ids[2]]);
    await raw('getUpdates', { offset: ids[2]! + 1 });
    expect(emu.pendingUpdates()).toBe(0);
  });

  it('ends a held poll with 409 Conflict when a second getUpdates arrives, like two bot instances', async () => {
    const first = raw('getUpdates', { timeout: 10 });
    await until(() => emu.calls('getUpdates').length === 1, 'the first poll');
    const second = await raw('getUpdates', { timeout: 0 });
    expect(second.json['ok']).toBe(true);
    expect((await first).json).toMatchObject({ ok: false, error_code: 409, description: expect.stringMatching(/^Conflict/) });
  });

  it('lets a test wait for several replies in any order, each returned once', async () => {
    makeBot((bot) =>
      bot.command('positions', async (ctx) => {
        for (const symbol of ['BTC', 'ETH', 'SOL']) await ctx.reply(`${symbol}/USDT long`);
      }),
    );
    emu.sendCommand(alice, 'positions');
    expect((await emu.waitForMessage(alice.id, /ETH/)).text).toBe('ETH/USDT long');
    expect((await emu.waitForMessage(alice.id)).text).toBe('BTC/USDT long');
    expect((await emu.waitForMessage(alice.id)).text).toBe('SOL/USDT long');
    await expect(emu.waitForMessage(alice.id, undefined, 50)).rejects.toThrow(/no new bot message matched within 50 ms/);
  });

  it('gives a command a bot_command entity so bot.command handlers fire', async () => {
    makeBot((bot) => bot.command('trades', (ctx) => ctx.reply(`last ${ctx.match || 'all'}`)));
    emu.sendCommand(alice, 'trades', '10');
    expect((await emu.waitForMessage(alice.id)).text).toBe('last 10');
  });
});

describe('buttons, edits and deletes', () => {
  const keyboard = new InlineKeyboard().text('Close 50 %', 'close:7:50').text('Close', 'close:7:100');

  it('delivers a pressed button to its handler and returns the answer', async () => {
    makeBot((bot) => {
      bot.command('positions', (ctx) => ctx.reply('BTC/USDT long 0.01', { reply_markup: keyboard }));
      bot.callbackQuery(/^close:(\d+):(\d+)$/, (ctx) => ctx.answerCallbackQuery({ text: `closing ${ctx.match[2]} % of #${ctx.match[1]}` }));
    });
    emu.sendCommand(alice, 'positions');
    const msg = await emu.waitForMessage(alice.id, /BTC/);
    expect(msg.buttons).toEqual([[{ text: 'Close 50 %', callback_data: 'close:7:50' }, { text: 'Close', callback_data: 'close:7:100' }]]);
    const press = emu.pressButton(alice, msg.message_id, 'close:7:50');
    expect(await press.answer).toMatchObject({ callback_query_id: press.callback_query_id, text: 'closing 50 % of #7' });
    expect(() => emu.pressButton(alice, msg.message_id, 'close:7:25')).toThrow(/no button with callback_data "close:7:25"/);
  });

  it('records an edit as a new version and, like Telegram, drops the keyboard when the edit has none', async () => {
    makeBot((bot) => {
      bot.command('positions', (ctx) => ctx.reply('BTC/USDT long 0.01', { reply_markup: keyboard }));
      bot.callbackQuery('close:7:100', async (ctx) => {
        await ctx.answerCallbackQuery();
        await ctx.editMessageText('BTC/USDT closed at <b>64 250</b>', { parse_mode: 'HTML' });
      });
    });
    emu.sendCommand(alice, 'positions');
    const msg = await emu.waitForMessage(alice.id);
    emu.pressButtonLabeled(alice, msg.message_id, 'Close');
    const edit = await emu.waitForMessage(alice.id);
    expect(edit).toMatchObject({ event: 'edited', message_id: msg.message_id, text: 'BTC/USDT closed at 64 250', buttons: [], edit_count: 1 });
    expect(emu.messages(alice.id).find((m) => m.message_id === msg.message_id)?.previous_texts).toEqual(['BTC/USDT long 0.01']);
  });

  it('refuses an edit that changes nothing, and a second answer to the same query', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    const m = await bot.api.sendMessage(alice.id, 'SL 61 000', { reply_markup: keyboard });
    await expect(bot.api.editMessageText(alice.id, m.message_id, 'SL 61 000', { reply_markup: keyboard })).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringMatching(/^Bad Request: message is not modified/),
    });
    await expect(bot.api.editMessageReplyMarkup(alice.id, m.message_id, { reply_markup: keyboard })).rejects.toThrow(/not modified/);
    const press = emu.pressButton(alice, m.message_id, 'close:7:50');
    await bot.api.answerCallbackQuery(press.callback_query_id);
    await expect(bot.api.answerCallbackQuery(press.callback_query_id)).rejects.toThrow(/query ID is invalid/);
  });

  it('deletes a user message (the secret key) and then refuses to edit or delete it again', async () => {
    makeBot((bot) =>
      bot.on('message:text', async (ctx) => {
        await ctx.deleteMessage();
        await ctx.reply('Secret received and removed from the chat.');
      }),
    );
    const secret = emu.sendText(alice, 'my-api-secret');
    await emu.waitForMessage(alice.id, /removed/);
    expect(emu.deletedMessageIds(alice.id)).toEqual([secret.message_id]);
    expect(emu.messages(alice.id)[0]).toMatchObject({ from: 'user', deleted: true });
    const bot = bots[0]!;
    await expect(bot.api.deleteMessage(alice.id, secret.message_id)).rejects.toThrow('Bad Request: message to delete not found');
    await expect(bot.api.editMessageText(alice.id, secret.message_id, 'x')).rejects.toThrow('Bad Request: message to edit not found');
    await expect(bot.api.editMessageText(alice.id, 99, 'x')).rejects.toThrow('Bad Request: message to edit not found');
  });
});

describe('replies and blocked users', () => {
  it('carries a force-reply question and the user\'s answer to it, like the Adjust SL dialog', async () => {
    makeBot((bot) => {
      bot.command('adjust', (ctx) => ctx.reply('New stop-loss price (USDT)?', { reply_markup: { force_reply: true } }));
      bot.on('message:text', (ctx) => ctx.reply(`SL set to ${ctx.message.text} (answering #${ctx.message.reply_to_message?.message_id})`, { reply_parameters: { message_id: ctx.message.message_id } }));
    });
    emu.sendCommand(alice, 'adjust');
    const question = await emu.waitForMessage(alice.id, /stop-loss/);
    emu.sendText(alice, '61500', { reply_to_message_id: question.message_id });
    const done = await emu.waitForMessage(alice.id, /SL set/);
    expect(done.text).toBe(`SL set to 61500 (answering #${question.message_id})`);
    expect(done.reply_to_message_id).toBe(question.message_id + 1);
  });

  it('refuses a reply to a message that is not there', async () => {
    emu.addUser(alice);
    const { json } = await raw('sendMessage', { chat_id: alice.id, text: 'x', reply_parameters: { message_id: 42 } });
    expect(json['description']).toBe('Bad Request: message to be replied not found');
  });

  it('answers 403 while the user has blocked the bot, until they write again', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(bob);
    emu.setBlocked(bob.id, true);
    await expect(bot.api.sendMessage(bob.id, 'TP hit')).rejects.toMatchObject({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    emu.sendText(bob, '/start');
    await bot.api.sendMessage(bob.id, 'welcome back');
    expect(emu.messages(bob.id).map((m) => m.text)).toEqual(['/start', 'welcome back']);
  });

  it('refuses an answer more than 15 s after the press, as Telegram does', async () => {
    let now = 1_700_000_000_000;
    const clocked = await startBotApiEmulator({ now: () => now, knownUsers: [alice] });
    try {
      const bot = new Bot(clocked.token, { client: { apiRoot: clocked.url }, botInfo: clocked.botInfo });
      const m = await bot.api.sendMessage(alice.id, 'BTC long', { reply_markup: new InlineKeyboard().text('Close', 'close:1') });
      const press = clocked.pressButton(alice, m.message_id, 'close:1');
      now += 15_001;
      await expect(bot.api.answerCallbackQuery(press.callback_query_id)).rejects.toThrow('query is too old');
    } finally {
      await clocked.close();
    }
  });

  it('rejects a press on a deleted message unless forced, and rejects .answer when the bot never answers', async () => {
    const quick = await startBotApiEmulator({ answerTimeoutMs: 50, knownUsers: [alice] });
    try {
      const bot = new Bot(quick.token, { client: { apiRoot: quick.url }, botInfo: quick.botInfo });
      const m = await bot.api.sendMessage(alice.id, 'BTC long', { reply_markup: new InlineKeyboard().text('Close', 'close:1') });
      await bot.api.deleteMessage(alice.id, m.message_id);
      expect(() => quick.pressButton(alice, m.message_id, 'close:1')).toThrow(/was deleted/);
      const stale = quick.pressButton(alice, m.message_id, 'close:1', { force: true });
      await expect(stale.answer).rejects.toThrow(/was not answered within 50 ms/);
    } finally {
      await quick.close();
    }
  });
});

describe('sendPhoto', () => {
  it('records an uploaded PNG with its size, pixels and caption, and re-sends it by file_id', async () => {
    const png = new PNG({ width: 40, height: 20 });
    const bytes = PNG.sync.write(png);
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    const sent = await bot.api.sendPhoto(alice.id, new InputFile(bytes, 'chart.png'), { caption: '<b>BTC</b> 1h chart', parse_mode: 'HTML' });
    const photo = emu.messages(alice.id)[0]!;
    expect(photo).toMatchObject({ kind: 'photo', text: 'BTC 1h chart', photo: { size: bytes.length, width: 40, height: 20, filename: 'chart.png' } });
    expect(emu.calls('sendPhoto')[0]?.params['photo']).toEqual({ upload: 'chart.png', size: bytes.length });
    await bot.api.sendPhoto(alice.id, sent.photo[0]!.file_id);
    expect(emu.messages(alice.id)[1]?.photo?.size).toBe(bytes.length);
    await expect(bot.api.sendPhoto(alice.id, new InputFile(Buffer.alloc(0), 'x.png'))).rejects.toThrow('file must be non-empty');
    await bot.api.editMessageCaption(alice.id, sent.message_id, { caption: 'BTC 4h chart' });
    expect(emu.messages(alice.id)[0]).toMatchObject({ text: 'BTC 4h chart', edit_count: 1, previous_texts: ['BTC 1h chart'] });
  });
});

describe('validation like Telegram', () => {
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['empty text', { text: '' }, 400, /^Bad Request: message text is empty$/],
    ['text of spaces', { text: '   ' }, 400, /message text is empty/],
    ['4097 characters', { text: 'x'.repeat(4097) }, 400, /^Bad Request: message is too long$/],
    ['callback_data of 65 bytes', { text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'b', callback_data: 'd'.repeat(65) }]] } }, 400, /BUTTON_DATA_INVALID/],
    ['a button without action', { text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'b' }]] } }, 400, /Text buttons are unallowed/],
    ['HTML tag left open', { text: '<b>PnL +3 %', parse_mode: 'HTML' }, 400, /can't parse entities: Can't find end tag corresponding to start tag "b"/],
    ['HTML tags crossed', { text: '<b><i>x</b></i>', parse_mode: 'HTML' }, 400, /can't parse entities: Unmatched end tag/],
    ['an unsupported HTML tag', { text: '<div>x</div>', parse_mode: 'HTML' }, 400, /Unsupported start tag "div"/],
    ['a bare < from a number', { text: 'price < 5', parse_mode: 'HTML' }, 400, /can't parse entities/],
    ['an unescaped . in MarkdownV2', { text: 'SL moved to 61000.5', parse_mode: 'MarkdownV2' }, 400, /Character '\.' is reserved/],
    ['an unknown chat', { chat_id: 424242, text: 'hi' }, 400, /^Bad Request: chat not found$/],
  ];
  it.each(cases)('refuses %s', async (_name, params, code, description) => {
    emu.addUser(alice);
    const { status, json } = await raw('sendMessage', { chat_id: alice.id, ...params });
    expect(status).toBe(code);
    expect(json).toMatchObject({ ok: false, error_code: code });
    expect(json['description']).toMatch(description);
    expect(emu.messages(alice.id)).toEqual([]);
  });

  it('accepts balanced HTML with entities and shows the text without markup', async () => {
    emu.addUser(alice);
    const { json } = await raw('sendMessage', { chat_id: alice.id, text: '<b>Long</b> BTC &lt; 65 000 <a href="https://x.test">chart</a>', parse_mode: 'HTML' });
    expect(json['result']).toMatchObject({ text: 'Long BTC < 65 000 chart', entities: [{ type: 'bold', offset: 0, length: 4 }, { type: 'text_link', url: 'https://x.test' }] });
  });

  it('answers a wrong token with 401 and an unknown method with 404', async () => {
    const stranger = makeBot(undefined, { polling: false, token: '123456:WRONG' });
    await expect(stranger.api.getMe()).rejects.toMatchObject({ error_code: 401, description: 'Unauthorized' });
    expect(await raw('sendSticker', {})).toEqual({ status: 404, json: { ok: false, error_code: 404, description: 'Not Found: method not found' } });
  });

  it('reads form-urlencoded and query-string parameters as Telegram does', async () => {
    emu.addUser(bob);
    const res = await fetch(`${emu.url}/bot${emu.token}/sendMessage?chat_id=${bob.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ text: 'from a form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'OK', callback_data: 'ok' }]] }) }),
    });
    expect(res.status).toBe(200);
    expect(emu.messages(bob.id)[0]).toMatchObject({ text: 'from a form', buttons: [[{ text: 'OK', callback_data: 'ok' }]] });
  });

  it('deletes several messages at once and takes the bot description', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    const a = await bot.api.sendMessage(alice.id, 'one');
    const b = await bot.api.sendMessage(alice.id, 'two');
    await bot.api.deleteMessages(alice.id, [a.message_id, b.message_id, 99]);
    expect(emu.deletedMessageIds(alice.id)).toEqual([a.message_id, b.message_id]);
    await expect(bot.api.deleteMessages(alice.id, [a.message_id])).rejects.toThrow('message to delete not found');
    await bot.api.setMyDescription('Trades AI signals for you');
    expect(await bot.api.getMyDescription()).toEqual({ description: 'Trades AI signals for you' });
    await expect(bot.api.setMyShortDescription('x'.repeat(121))).rejects.toThrow('SHORT_DESCRIPTION_INVALID');
    await bot.api.sendChatAction(alice.id, 'typing');
    await expect(bot.api.raw.sendChatAction({ chat_id: alice.id, action: 'dancing' as 'typing' })).rejects.toThrow('wrong parameter action');
  });

  it('stores commands per scope and refuses an invalid command name', async () => {
    const bot = makeBot(undefined, { polling: false });
    await bot.api.setMyCommands([{ command: 'positions', description: 'Open positions' }]);
    expect(await bot.api.getMyCommands()).toEqual([{ command: 'positions', description: 'Open positions' }]);
    expect(emu.commands()).toEqual([{ command: 'positions', description: 'Open positions' }]);
    await expect(bot.api.setMyCommands([{ command: 'Positions', description: 'x' }])).rejects.toThrow('BOT_COMMAND_INVALID');
    await expect(bot.api.setMyCommands([], { scope: { type: 'chat', chat_id: 777 } })).rejects.toThrow('chat not found');
  });
});

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
    emu.setRateLimits({ perChatBurst: 1 });
    const bot = makeBot((b) => b.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 5 })), { polling: false });
    emu.addUser(alice);
    for (const n of [1, 2]) await bot.api.sendMessage(alice.id, `alert ${n}`);
    expect(emu.messages(alice.id).map((m) => m.text)).toEqual(['alert 1', 'alert 2']);
    expect(emu.calls('sendMessage').filter((c) => c.error_code === 429).length).toBeGreaterThanOrEqual(1);
  });
});

describe('faults and outages', () => {
  it('fails the next N calls of a method with the given error, without effect', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    emu.failNext('sendMessage', 2, { error_code: 403 });
    for (let i = 0; i < 2; i++) await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toThrow('Forbidden: bot was blocked by the user');
    await bot.api.sendMessage(alice.id, 'third time');
    expect(emu.messages(alice.id).map((m) => m.text)).toEqual(['third time']);
  });

  it('can drop the connection after the message was delivered (the bot cannot know it arrived)', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    emu.failNext('sendMessage', 1, 'disconnect-after-apply');
    await expect(bot.api.sendMessage(alice.id, 'TP hit')).rejects.toBeInstanceOf(HttpError);
    expect(emu.messages(alice.id).map((m) => m.text)).toEqual(['TP hit']);
  });

  it('answers 502 or drops connections during an outage, and works again after it', async () => {
    const bot = makeBot(undefined, { polling: false });
    emu.addUser(alice);
    emu.setOutage('502');
    await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toBeInstanceOf(HttpError);
    emu.setOutage('disconnect');
    await expect(bot.api.sendMessage(alice.id, 'x')).rejects.toBeInstanceOf(HttpError);
    emu.setOutage(false);
    await bot.api.sendMessage(alice.id, 'back');
    expect(emu.messages(alice.id).map((m) => m.text)).toEqual(['back']);
    expect(emu.calls('sendMessage').map((c) => c.status)).toEqual([502, 0, 200]);
  });

  it('lets a polling bot resume after an outage ends', async () => {
    makeBot((bot) => bot.on('message:text', (ctx) => ctx.reply('pong')));
    await until(() => emu.calls('getUpdates').length >= 1, 'the first poll');
    emu.setOutage('502');
    emu.sendText(alice, 'ping');
    await until(() => emu.calls('getUpdates').some((c) => c.status === 502), 'a poll to fail');
    emu.setOutage(false);
    expect((await emu.waitForMessage(alice.id, 'pong', 10_000)).text).toBe('pong');
  });
});

describe('test ergonomics', () => {
  it('explains a waitForMessage timeout with the chat history and failed calls', async () => {
    emu.addUser(alice);
    emu.sendText(alice, 'hello');
    await raw('sendMessage', { chat_id: alice.id, text: '<b>broken', parse_mode: 'HTML' });
    const error = await emu.waitForMessage(alice.id, /welcome/i, 100).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('#1 user: "hello"');
    expect((error as Error).message).toContain("sendMessage → 400 Bad Request: can't parse entities");
  });

  it('makes bot errors visible as GrammyError with the Telegram description', async () => {
    const bot = makeBot(undefined, { polling: false });
    const error = await bot.api.sendMessage(alice.id, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).description).toBe('Bad Request: chat not found');
  });
});
