/** The emulator refuses what Telegram refuses, with Telegram's status codes and wording. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../bot-api.ts';
import { alice, bob, useEmulator } from './harness.ts';

const h = useEmulator();

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
    ['half an emoji (a lone surrogate) in the text', { text: `cut ${'😀'.slice(0, 1)}` }, 400, /^Bad Request: strings must be encoded in UTF-8$/],
    ['half an emoji in a button', { text: 'hi', reply_markup: { inline_keyboard: [[{ text: `b${'😀'.slice(1)}`, callback_data: 'x' }]] } }, 400, /encoded in UTF-8/],
    ['4097 characters after the markup is removed', { text: `<b>${'&amp;'.repeat(4097)}</b>`, parse_mode: 'HTML' }, 400, /^Bad Request: message is too long$/],
    ['an unknown chat', { chat_id: 424242, text: 'hi' }, 400, /^Bad Request: chat not found$/],
  ];
  it.each(cases)('refuses %s', async (_name, params, code, description) => {
    h.emu.addUser(alice);
    const { status, json } = await h.raw('sendMessage', { chat_id: alice.id, ...params });
    expect(status).toBe(code);
    expect(json).toMatchObject({ ok: false, error_code: code });
    expect(json['description']).toMatch(description);
    expect(h.emu.messages(alice.id)).toEqual([]);
  });

  it('accepts balanced HTML with entities and shows the text without markup', async () => {
    h.emu.addUser(alice);
    const { json } = await h.raw('sendMessage', { chat_id: alice.id, text: '<b>Long</b> BTC &lt; 65 000 <a href="https://x.test">chart</a>', parse_mode: 'HTML' });
    expect(json['result']).toMatchObject({ text: 'Long BTC < 65 000 chart', entities: [{ type: 'bold', offset: 0, length: 4 }, { type: 'text_link', url: 'https://x.test' }] });
  });

  it('answers a wrong token with 401 and an unknown method with 404', async () => {
    const stranger = h.makeBot(undefined, { polling: false, token: '123456:WRONG' });
    await expect(stranger.api.getMe()).rejects.toMatchObject({ error_code: 401, description: 'Unauthorized' });
    expect(await h.raw('sendSticker', {})).toEqual({ status: 404, json: { ok: false, error_code: 404, description: 'Not Found: method not found' } });
  });

  it('reads form-urlencoded and query-string parameters as Telegram does', async () => {
    h.emu.addUser(bob);
    const res = await fetch(`${h.emu.url}/bot${h.emu.token}/sendMessage?chat_id=${bob.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ text: 'from a form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'OK', callback_data: 'ok' }]] }) }),
    });
    expect(res.status).toBe(200);
    expect(h.emu.messages(bob.id)[0]).toMatchObject({ text: 'from a form', buttons: [[{ text: 'OK', callback_data: 'ok' }]] });
  });

  it('deletes several messages at once and takes the bot description', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.addUser(alice);
    const a = await bot.api.sendMessage(alice.id, 'one');
    const b = await bot.api.sendMessage(alice.id, 'two');
    await bot.api.deleteMessages(alice.id, [a.message_id, b.message_id, 99]);
    expect(h.emu.deletedMessageIds(alice.id)).toEqual([a.message_id, b.message_id]);
    await expect(bot.api.deleteMessages(alice.id, [a.message_id])).rejects.toThrow('message to delete not found');
    await bot.api.setMyDescription('Trades AI signals for you');
    expect(await bot.api.getMyDescription()).toEqual({ description: 'Trades AI signals for you' });
    await expect(bot.api.setMyShortDescription('x'.repeat(121))).rejects.toThrow('SHORT_DESCRIPTION_INVALID');
    await bot.api.sendChatAction(alice.id, 'typing');
    await expect(bot.api.raw.sendChatAction({ chat_id: alice.id, action: 'dancing' as 'typing' })).rejects.toThrow('wrong parameter action');
  });

  it('serves a method the emulator lacks through handle(), errors included', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    h.emu.handle('getChat', (p) => {
      if (Number(p['chat_id']) !== alice.id) throw new ApiError(400, 'Bad Request: chat not found');
      return { id: alice.id, type: 'private', first_name: alice.first_name };
    });
    expect(await bot.api.getChat(alice.id)).toMatchObject({ id: alice.id, first_name: 'Alice' });
    await expect(bot.api.getChat(5)).rejects.toMatchObject({ error_code: 400, description: 'Bad Request: chat not found' });
  });

  it('stores commands per scope and refuses an invalid command name', async () => {
    const bot = h.makeBot(undefined, { polling: false });
    await bot.api.setMyCommands([{ command: 'positions', description: 'Open positions' }]);
    expect(await bot.api.getMyCommands()).toEqual([{ command: 'positions', description: 'Open positions' }]);
    expect(h.emu.commands()).toEqual([{ command: 'positions', description: 'Open positions' }]);
    await expect(bot.api.setMyCommands([{ command: 'Positions', description: 'x' }])).rejects.toThrow('BOT_COMMAND_INVALID');
    await expect(bot.api.setMyCommands([], { scope: { type: 'chat', chat_id: 777 } })).rejects.toThrow('chat not found');
  });
});
