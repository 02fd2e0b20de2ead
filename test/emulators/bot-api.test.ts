/**
 * The Bot API emulator, driven the way the app uses it: a real grammY Bot long-polling through HTTP.
 * If these pass, a test that fails against the emulator points at the bot, not the harness.
 * Validation: bot-api/validation.test.ts; rate limits, faults and outages: bot-api/trouble.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Bot, InlineKeyboard, InputFile } from 'grammy';
import { PNG } from 'pngjs';
import { startBotApiEmulator } from './bot-api.ts';
import { alice, bob, useEmulator } from './bot-api/harness.ts';

const h = useEmulator();

describe('long polling', () => {
  it('delivers a user text to the bot and records its reply in the same chat sequence', async () => {
    h.makeBot((bot) => bot.on('message:text', (ctx) => ctx.reply(`You said: ${ctx.message.text}`)));
    const sent = h.emu.sendText(alice, 'hello');
    const reply = await h.emu.waitForMessage(alice.id, /You said/);
    expect(reply).toMatchObject({ from: 'bot', event: 'sent', text: 'You said: hello', message_id: sent.message_id + 1 });
    expect(h.emu.calls('sendMessage')[0]?.params).toMatchObject({ chat_id: alice.id, text: 'You said: hello' });
    expect(h.emu.messages(alice.id).map((m) => [m.message_id, m.from, m.text])).toEqual([
      [1, 'user', 'hello'],
      [2, 'bot', 'You said: hello'],
    ]);
  });

  it('holds getUpdates until an update is queued and answers it with that update', async () => {
    const poll = h.raw('getUpdates', { timeout: 10 });
    expect(await h.emu.waitForCall('getUpdates')).toMatchObject({ pending: true, status: 0, params: { timeout: 10 } });
    h.emu.sendText(bob, 'ping');
    const { json } = await poll;
    expect(json['ok']).toBe(true);
    expect(json['result']).toMatchObject([{ message: { text: 'ping', chat: { id: bob.id, type: 'private' }, from: { id: bob.id } } }]);
  });

  it('keeps updates until an offset above them confirms them, with increasing update_ids', async () => {
    const ids = [h.emu.sendText(alice, 'a'), h.emu.sendText(alice, 'b'), h.emu.sendText(bob, 'c')].map((m) => m.update_id);
    expect(ids[1]! - ids[0]!).toBe(1);
    expect(ids[2]! - ids[1]!).toBe(1);
    const first = await h.raw('getUpdates', { limit: 2 });
    expect((first.json['result'] as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual(ids.slice(0, 2));
    const again = await h.raw('getUpdates', {});
    expect((again.json['result'] as unknown[]).length).toBe(3);
    const confirmed = await h.raw('getUpdates', { offset: ids[1]! + 1 });
    expect((confirmed.json['result'] as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([ids[2]]);
    await h.raw('getUpdates', { offset: ids[2]! + 1 });
    expect(h.emu.pendingUpdates()).toBe(0);
  });

  it('ends a held poll with 409 Conflict when a second getUpdates arrives, like two bot instances', async () => {
    const first = h.raw('getUpdates', { timeout: 10 });
    await h.emu.waitForCall('getUpdates');
    const second = await h.raw('getUpdates', { timeout: 0 });
    expect(second.json['ok']).toBe(true);
    expect((await first).json).toMatchObject({ ok: false, error_code: 409, description: expect.stringMatching(/^Conflict/) });
  });

  it('lets a test wait for several replies in any order, each returned once', async () => {
    h.makeBot((bot) =>
      bot.command('positions', async (ctx) => {
        for (const symbol of ['BTC', 'ETH', 'SOL']) await ctx.reply(`${symbol}/USDT long`);
      }),
    );
    h.emu.sendCommand(alice, 'positions');
    expect((await h.emu.waitForMessage(alice.id, /ETH/)).text).toBe('ETH/USDT long');
    expect((await h.emu.waitForMessage(alice.id)).text).toBe('BTC/USDT long');
    expect((await h.emu.waitForMessage(alice.id)).text).toBe('SOL/USDT long');
    await expect(h.emu.waitForMessage(alice.id, undefined, 50)).rejects.toThrow(/no new bot message matched within 50 ms/);
  });

  it('gives a command a bot_command entity so bot.command handlers fire', async () => {
    h.makeBot((bot) => bot.command('trades', (ctx) => ctx.reply(`last ${ctx.match || 'all'}`)));
    h.emu.sendCommand(alice, 'trades', '10');
    expect((await h.emu.waitForMessage(alice.id)).text).toBe('last 10');
  });
});

describe('buttons, edits and deletes', () => {
  const keyboard = new InlineKeyboard().text('Close 50 %', 'close:7:50').text('Close', 'close:7:100');

  it('delivers a pressed button to its handler and returns the answer', async () => {
    h.makeBot((bot) => {
      bot.command('positions', (ctx) => ctx.reply('BTC/USDT long 0.01', { reply_markup: keyboard }));
      bot.callbackQuery(/^close:(\d+):(\d+)$/, (ctx) => ctx.answerCallbackQuery({ text: `closing ${ctx.match[2]} % of #${ctx.match[1]}` }));
    });
    h.emu.sendCommand(alice, 'positions');
    const msg = await h.emu.waitForMessage(alice.id, /BTC/);
    expect(msg.buttons).toEqual([[{ text: 'Close 50 %', callback_data: 'close:7:50' }, { text: 'Close', callback_data: 'close:7:100' }]]);
    const press = h.emu.pressButton(alice, msg.message_id, 'close:7:50');
    expect(await press.answer).toMatchObject({ callback_query_id: press.callback_query_id, text: 'closing 50 % of #7' });
    expect(() => h.emu.pressButton(alice, msg.message_id, 'close:7:25')).toThrow(/no button with callback_data "close:7:25"/);
  });

  it('records an edit as a new version and, like Telegram, drops the keyboard when the edit has none', async () => {
    h.makeBot((bot) => {
      bot.command('positions', (ctx) => ctx.reply('BTC/USDT long 0.01', { reply_markup: keyboard }));
      bot.callbackQuery('close:7:100', async (ctx) => {
        await ctx.answerCallbackQuery();
        await ctx.editMessageText('BTC/USDT closed at <b>64 250</b>', { parse_mode: 'HTML' });
      });
    });
    h.emu.sendCommand(alice, 'positions');
    const msg = await h.emu.waitForMessage(alice.id);
    h.emu.pressButtonLabeled(alice, msg.message_id, 'Close');
    const edit = await h.emu.waitForMessage(alice.id);
    expect(edit).toMatchObject({ event: 'edited', message_id: msg.message_id, text: 'BTC/USDT closed at 64 250', buttons: [], edit_count: 1 });
    expect(h.emu.messages(alice.id).find((m) => m.message_id === msg.message_id)?.previous_texts).toEqual(['BTC/USDT long 0.01']);
  });

  it('refuses an edit that changes nothing, and a second answer to the same query', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    const m = await bot.api.sendMessage(alice.id, 'SL 61 000', { reply_markup: keyboard });
    await expect(bot.api.editMessageText(alice.id, m.message_id, 'SL 61 000', { reply_markup: keyboard })).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringMatching(/^Bad Request: message is not modified/),
    });
    await expect(bot.api.editMessageReplyMarkup(alice.id, m.message_id, { reply_markup: keyboard })).rejects.toThrow(/not modified/);
    const press = h.emu.pressButton(alice, m.message_id, 'close:7:50');
    await bot.api.answerCallbackQuery(press.callback_query_id);
    await expect(bot.api.answerCallbackQuery(press.callback_query_id)).rejects.toThrow(/query ID is invalid/);
  });

  it('deletes a user message (the secret key) and then refuses to edit or delete it again', async () => {
    const bot = h.makeBot((b) =>
      b.on('message:text', async (ctx) => {
        await ctx.deleteMessage();
        await ctx.reply('Secret received and removed from the chat.');
      }),
    );
    const secret = h.emu.sendText(alice, 'my-api-secret');
    await h.emu.waitForMessage(alice.id, /removed/);
    expect(h.emu.deletedMessageIds(alice.id)).toEqual([secret.message_id]);
    expect(h.emu.messages(alice.id)[0]).toMatchObject({ from: 'user', deleted: true });
    await expect(bot.api.deleteMessage(alice.id, secret.message_id)).rejects.toThrow('Bad Request: message to delete not found');
    await expect(bot.api.editMessageText(alice.id, secret.message_id, 'x')).rejects.toThrow('Bad Request: message to edit not found');
    await expect(bot.api.editMessageText(alice.id, 99, 'x')).rejects.toThrow('Bad Request: message to edit not found');
  });
});

describe('replies and blocked users', () => {
  it('carries a force-reply question and the user\'s answer to it, like the Adjust SL dialog', async () => {
    h.makeBot((bot) => {
      bot.command('adjust', (ctx) => ctx.reply('New stop-loss price (USDT)?', { reply_markup: { force_reply: true } }));
      bot.on('message:text', (ctx) => ctx.reply(`SL set to ${ctx.message.text} (answering #${ctx.message.reply_to_message?.message_id})`, { reply_parameters: { message_id: ctx.message.message_id } }));
    });
    h.emu.sendCommand(alice, 'adjust');
    const question = await h.emu.waitForMessage(alice.id, /stop-loss/);
    h.emu.sendText(alice, '61500', { reply_to_message_id: question.message_id });
    const done = await h.emu.waitForMessage(alice.id, /SL set/);
    expect(done.text).toBe(`SL set to 61500 (answering #${question.message_id})`);
    expect(done.reply_to_message_id).toBe(question.message_id + 1);
  });

  it('refuses a reply to a message that is not there', async () => {
    h.emu.addUser(alice);
    const { json } = await h.raw('sendMessage', { chat_id: alice.id, text: 'x', reply_parameters: { message_id: 42 } });
    expect(json['description']).toBe('Bad Request: message to be replied not found');
  });

  it('answers 403 while the user has blocked the bot, until they write again', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(bob);
    h.emu.setBlocked(bob.id, true);
    await expect(bot.api.sendMessage(bob.id, 'TP hit')).rejects.toMatchObject({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    h.emu.sendText(bob, '/start');
    await bot.api.sendMessage(bob.id, 'welcome back');
    expect(h.emu.messages(bob.id).map((m) => m.text)).toEqual(['/start', 'welcome back']);
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
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    const sent = await bot.api.sendPhoto(alice.id, new InputFile(bytes, 'chart.png'), { caption: '<b>BTC</b> 1h chart', parse_mode: 'HTML' });
    const photo = h.emu.messages(alice.id)[0]!;
    expect(photo).toMatchObject({ kind: 'photo', text: 'BTC 1h chart', photo: { size: bytes.length, width: 40, height: 20, filename: 'chart.png' } });
    expect(h.emu.calls('sendPhoto')[0]?.params['photo']).toEqual({ upload: 'chart.png', size: bytes.length });
    await bot.api.sendPhoto(alice.id, sent.photo[0]!.file_id);
    expect(h.emu.messages(alice.id)[1]?.photo?.size).toBe(bytes.length);
    await expect(bot.api.sendPhoto(alice.id, new InputFile(Buffer.alloc(0), 'x.png'))).rejects.toThrow('file must be non-empty');
    await bot.api.editMessageCaption(alice.id, sent.message_id, { caption: 'BTC 4h chart' });
    expect(h.emu.messages(alice.id)[0]).toMatchObject({ text: 'BTC 4h chart', edit_count: 1, previous_texts: ['BTC 1h chart'] });
  });
});
