/**
 * From /start to a protected paper position closed with a button, through the Bot API emulator:
 * the alert with its controls, /positions with live P&L, Close 50 %, a double tap, a forged
 * callback for another trader's position, SL → breakeven, Adjust SL/TP, a stale button.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desc } from 'drizzle-orm';
import { alice, bob, harnessKinds, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';
import { auditLog } from '../../src/db/schema.ts';
import type { MessageView } from '../emulators/bot-api.ts';

let h: Harness;
let fake: FakeEngineFacade;

async function paperTrader() {
  await h.say(alice, '/start', /Welcome, Alice/);
  const ask = await h.say(alice, '/connect', /Which exchange/);
  await h.press(alice, ask, /Paper/);
  await h.press(alice, await h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
  await h.emu.waitForMessage(alice.id, /Paper account ready/);
  const account = fake.accounts[0]!;
  return { userId: account.userId, accountId: account.id };
}

const current = (m: { message_id: number }): MessageView => h.emu.messages(alice.id).find((x) => x.message_id === m.message_id)!;

// on PostgreSQL too (when TEST_DATABASE_URL is set): a pool makes the double tap truly concurrent
describe.each(harnessKinds())('positions and their buttons on %s', (kind) => {
  beforeEach(async () => {
    h = await startHarness({ kind });
    fake = h.engine as FakeEngineFacade;
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a trader goes from /start to a protected paper position and closes it with buttons', async () => {
    const { userId, accountId } = await paperTrader();
    // a signal opens a position (the engine's job): 0.01 BTC at 100 000, SL 98 000, TP 110 000
    const position = await fake.open({ userId, accountId, entryPrice: 100_000, qty: 0.01, stopLoss: 98_000, takeProfit: 110_000 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    expect(opened.text).toContain('Entry 100,000 · size 0.01 BTC (1,000.00 USDT)');
    expect(opened.text).toContain('🛑 SL 98,000 · 🎯 TP 110,000');
    expect(opened.buttons.flat().map((b) => b.text)).toEqual(['✖ Close', '½ Close 50 %', '🛡 SL → breakeven', '✏️ Adjust SL/TP', '🔄 Refresh']);

    // live P&L
    fake.setPrice('BTC/USDT', 101_000);
    // /positions: one table, a button per position opening its card with the controls
    const table = await h.say(alice, '/positions', /Open positions \(1\)/);
    expect(table.text).toContain('1 BTC/USDT long   0.01 100000 101000 +0.90');
    await h.press(alice, table, '#1 BTC/USDT long +0.90 %');
    const view = await h.emu.waitForMessage(alice.id, /^#1 BTC\/USDT LONG · Paper Binance spot/, 8000);
    expect(view.text).toContain('Entry 100,000 · now 101,000');
    // after the entry fee (0.1 % of 1 000 USDT)
    expect(view.text).toContain('🟢 P&L +9.00 USDT (+0.90 %) after the entry fee');

    // Close 50 % under the alert: the toast says it is on its way, half goes, the alert keeps
    // (fresh) controls, and the exit is reported
    const half = await h.press(alice, opened, '½ Close 50 %');
    expect(half.answer).toBe('Closing 50 % of BTC/USDT…');
    const partial = await h.emu.waitForMessage(alice.id, /CLOSED BY YOU/, 8000);
    expect(partial.text).toContain('Sold 0.005 BTC at 101,000');
    expect(partial.text).toMatch(/0\.005 BTC still open \(open for \d+ s\)\./);
    expect(partial.text).toContain('trade #1 · Paper Binance spot');
    // the alert's keyboard is redrawn with a fresh nonce: a later tap is a new, deliberate one
    const alertNow = await h.emu.waitForMessage(alice.id, (m) => m.message_id === opened.message_id && m.buttons.flat()[1]?.callback_data !== opened.buttons.flat()[1]!.callback_data, 8000);
    expect(alertNow.buttons.flat()).toHaveLength(5);

    // SL → breakeven
    const be = await h.press(alice, alertNow, '🛡 SL → breakeven');
    expect(be.answer).toBe('Stop loss set to 100000.');
    expect(fake.positions.get(position.id)!.stopLoss).toBe(100_000);

    // Close: the rest goes; the alert is not edited (the closing alert follows, and an edit would
    // take a message slot from everyone's alerts): its buttons now answer "already closed"
    const close = await h.press(alice, current(opened), '✖ Close');
    expect(close.answer).toBe('Closing BTC/USDT…');
    const closed = await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*Position closed after \d+ s\./, 8000);
    expect(closed.buttons).toEqual([]);
    // no edit took the alert's keyboard away (earlier redraws after a partial close or a stop move
    // draw a fresh keyboard)
    expect(h.emu.calls('editMessageReplyMarkup').filter((c) => c.params.message_id === opened.message_id && !c.params.reply_markup)).toEqual([]);
    expect(fake.positions.get(position.id)!.status).toBe('closed');
    expect((await h.press(alice, current(opened), '½ Close 50 %')).answer).toBe('This position is already closed.');

    // the /positions message still shows old buttons: stale, answered without acting
    const stale = await h.press(alice, current(view), '✖ Close');
    expect(stale.answer).toBe('This position is already closed.');
    expect(fake.actions.filter((a) => a.action === 'close')).toHaveLength(2);
    await h.say(alice, '/positions', /No open positions/);

    const audit = await h.db.db.select().from(auditLog).orderBy(desc(auditLog.id));
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['position.close_partial', 'position.breakeven', 'position.close', 'account.add']));
  });

  it('a double tap acts once', async () => {
    const { userId, accountId } = await paperTrader();
    await fake.open({ userId, accountId, qty: 0.02 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    const data = opened.buttons.flat().find((b) => b.text === '½ Close 50 %')!.callback_data!;
    const first = h.emu.pressButton(alice, opened.message_id, data);
    const second = h.emu.pressButton(alice, opened.message_id, data);
    const answers = [(await first.answer).text, (await second.answer).text].sort();
    expect(answers).toEqual(['Already done: this button acts once.', 'Closing 50 % of BTC/USDT…']);
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU/, 8000);
    expect(fake.actions.filter((a) => a.action === 'close')).toHaveLength(1);
  });

  it('a close the exchange refuses: the toast says it is on its way, a message says why, fresh buttons try again', async () => {
    const { userId, accountId } = await paperTrader();
    const position = await fake.open({ userId, accountId, qty: 0.01 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    fake.closeRefusal = 'Account has insufficient balance for requested action.';
    expect((await h.press(alice, opened, '✖ Close')).answer).toBe('Closing BTC/USDT…');
    await h.emu.waitForMessage(alice.id, 'Could not close BTC/USDT: Account has insufficient balance for requested action.', 8000);
    expect(fake.positions.get(position.id)!.status).toBe('open');
    // the press is spent; the alert gets a fresh keyboard, whose Close closes
    const closeData = (m: MessageView) => m.buttons.flat().find((b) => b.text === '✖ Close')?.callback_data;
    const redrawn = await h.emu.waitForMessage(alice.id, (m) => m.message_id === opened.message_id && closeData(m) !== closeData(opened), 8000);
    expect((await h.press(alice, redrawn, '✖ Close')).answer).toBe('Closing BTC/USDT…');
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU/, 8000);
    expect(fake.positions.get(position.id)!.status).toBe('closed');
  });

  it('with the manual-close alert switched off, the result of a close comes as a reply', async () => {
    const { userId, accountId } = await paperTrader();
    const position = await fake.open({ userId, accountId, entryPrice: 100_000, qty: 0.01 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    await fake.setNotifyLevel({ telegramId: alice.id, userId }, userId, 'manual', 'off');
    expect((await h.press(alice, opened, '✖ Close')).answer).toBe('Closing BTC/USDT…');
    await h.emu.waitForMessage(alice.id, 'Closed 0.01 BTC/USDT at 100000.', 8000);
    expect(fake.positions.get(position.id)!.status).toBe('closed');
    expect(h.emu.messages(alice.id).filter((m) => /CLOSED BY YOU/.test(m.text))).toEqual([]);
  });

  it("a forged callback for another trader's position is refused and changes nothing", async () => {
    const { userId, accountId } = await paperTrader();
    const position = await fake.open({ userId, accountId, qty: 0.01 });
    await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    const hello = await h.say(bob, '/start', /Welcome, Bob/);
    const forged = h.emu.pressButton(bob, hello.message_id, `p:close:${position.id}:a1`, { force: true });
    expect((await forged.answer).text).toBe('This is not one of your positions.');
    expect(fake.positions.get(position.id)!.qty).toBe(0.01);
    expect(fake.actions.filter((a) => a.action === 'close')).toHaveLength(0);
    const refused = await h.db.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    expect(refused[0]).toMatchObject({ action: 'position.refused', actorTelegramId: bob.id, target: position.id });
    // someone who never sent /start
    const carol = { id: 81003, first_name: 'Carol' };
    const msg = h.emu.sendText(carol, 'hi');
    await h.emu.waitForMessage(carol.id, /did not understand/);
    const anon = h.emu.pressButton(carol, msg.message_id, `p:close:${position.id}:a1`, { force: true });
    expect((await anon.answer).text).toMatch(/Send \/start first/);
  });

  it('Adjust SL/TP asks which one and the price, re-asking on bad input', async () => {
    const { userId, accountId } = await paperTrader();
    const position = await fake.open({ userId, accountId, entryPrice: 100_000, qty: 0.01, stopLoss: 98_000, takeProfit: 110_000 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    await h.press(alice, opened, '✏️ Adjust SL/TP');
    const which = await h.emu.waitForMessage(alice.id, /What do you want to change/);
    await h.press(alice, which, /Take profit/);
    await h.emu.waitForMessage(alice.id, /New take profit price for BTC\/USDT, in USDT \(now 100,000; must be above it\)/);
    await h.say(alice, 'abc', /"abc" is not a number\./);
    await h.say(alice, '120,000', /did you mean 120000 or 120\.0\?/);
    await h.say(alice, '95000', /A long's take profit must be above the current price 100,000/);
    await h.say(alice, '120 000', /Take profit set to 120000/);
    expect(fake.positions.get(position.id)!.takeProfit).toBe(120_000);

    // stop loss this time, and /cancel half-way leaves it unchanged
    await h.press(alice, current(opened), '✏️ Adjust SL/TP');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /What do you want to change/), /Stop loss/);
    await h.emu.waitForMessage(alice.id, /New stop loss price/);
    await h.say(alice, '101000', /A long's stop loss must be below the current price/);
    await h.say(alice, '/cancel', /Cancelled/);
    expect(fake.positions.get(position.id)!.stopLoss).toBe(98_000);
  });
});
