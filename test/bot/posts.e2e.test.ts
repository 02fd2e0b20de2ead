/**
 * Issue 14 items 3 and 4 end to end: a trader forwards or pastes a channel post (or types
 * /signal), sees the engine's preview with the risk, presses Trade, and the signal row becomes a
 * paper position with the post's stop, take profit and its own partial levels, which the monitor
 * takes at the post's targets. Another trader's chat never trades it. Bot API emulator, real bot,
 * real engine, paper exchange on a hand-driven feed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { alice, bob, harnessKinds, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { signalExecutions, tradingSignals } from '../../src/db/schema.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import type { TgUser } from '../emulators/bot-api.ts';

let h: Harness;
let feed: ManualFeed;

async function paperTrader(user: TgUser, mode: 'Spot' | 'Futures' = 'Spot'): Promise<string> {
  await h.say(user, '/start', new RegExp(`Welcome, ${user.first_name}`));
  const ask = await h.say(user, '/connect', /Which exchange/);
  await h.press(user, ask, /Paper/);
  await h.press(user, await h.emu.waitForMessage(user.id, /which mode/), new RegExp(`^${mode}`));
  if (mode === 'Futures') await h.press(user, await h.emu.waitForMessage(user.id, /which margin mode/), /^Isolated/);
  await h.emu.waitForMessage(user.id, /Paper account ready/);
  return (await createRecipientsRepo(h.db.db).byTelegramId(user.id))!.userId;
}

const POST = `⚡️ #BTC/USDT ⚡️
Signal Type: Regular (Long) 🟢
Leverage: Cross 10x

Entry Zone: 99,500 - 100,500

Take-Profit Targets:
1) 100800
2) 101500
3) 102500
4) 103200
5) 104000

Stop Targets:
1) 98000`;

describe.each(harnessKinds())('channel posts and /signal on the real engine (%s)', (kind) => {
  beforeEach(async () => {
    feed = new ManualFeed('binance', { now: () => Date.now() });
    feed.push('BTC/USDT', 100_000);
    feed.push('ETH/USDT', 3_000);
    h = await startHarness({ kind, engine: realEngine({ priceFeed: feed }, feed) });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a forwarded post → preview with the risk → Trade → a signal for that trader only → a position with the post’s stop, take profit and partial levels', async () => {
    const aliceId = await paperTrader(alice);
    const bobId = await paperTrader(bob);

    h.emu.forwardPost(alice, POST, { id: -100777, title: 'Whale Signals VIP', username: 'whalesignals' });
    const preview = await h.emu.waitForMessage(alice.id, /Forwarded post/, 15_000);
    expect(preview.text).toContain('BTC/USDT 🟢 LONG');
    expect(preview.text).toContain('Entry: 99,500 – 100,500');
    expect(preview.text).toContain('Targets: 100,800 · 101,500 · 102,500 · 103,200 · 104,000');
    expect(preview.text).toContain('Stop loss: 98,000');
    expect(preview.text).toContain('Leverage: 10×');
    expect(preview.text).toContain('Plan: partial exits at 100,800 · 101,500 · 102,500 (1/4 of the position each), the rest at 104,000');
    expect(preview.text).toContain('target 103,200 not used');
    // the engine's own sizing (default settings: 2 % risk, max position 1 000 USDT on 10 000 USDT):
    // 0.01 BTC, and the stop 2 000 below the price loses 20 USDT, 0.2 % of the free balance
    expect(preview.text).toContain('Would open 0.01 BTC (1,000.00 USDT) at about 100,000');
    expect(preview.text).toContain('🛑 SL 98,000 · 🎯 TP 104,000');
    expect(preview.text).toContain('Risk: 20.00 USDT (0.20 % of 10,000.00 USDT free) if the stop is hit');
    expect(preview.text).toContain("Leverage 1×: the post's 10× is never used above your own leverage setting (spot, or 1× in /settings)");
    expect(preview.buttons.flat().map((b) => b.text)).toEqual(['✅ Trade', '✖ Ignore']);
    // nothing is stored before Trade
    expect(await h.db.db.select().from(tradingSignals).where(eq(tradingSignals.source, 'telegram'))).toHaveLength(0);

    // Bob forges Alice's Trade button in his own chat: refused, nothing stored
    const trade = preview.buttons.flat().find((b) => b.text === '✅ Trade')!.callback_data!;
    const hello = await h.say(bob, '/help', /commands/i);
    expect((await h.emu.pressButton(bob, hello.message_id, trade, { force: true }).answer).text).toBe('This preview is not yours, or no longer exists.');
    expect(await h.db.db.select().from(tradingSignals).where(eq(tradingSignals.source, 'telegram'))).toHaveLength(0);

    const pressed = await h.press(alice, preview, '✅ Trade');
    expect(pressed.answer).toBe('Sent to the engine as your signal (for you only). /signals shows what it did.');
    await h.edited(alice, preview, /✅ Sent to the engine/);

    const rows = await h.db.db.select().from(tradingSignals).where(eq(tradingSignals.source, 'telegram'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ symbol: 'BTC/USDT', action: 'BUY', confidence: 1, userId: aliceId, stopLoss: 98_000, takeProfit: 104_000 });

    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 15_000);
    expect(opened.text).toContain('🛑 SL 98,000 · 🎯 TP 104,000');
    expect(opened.text).toContain('💰 Partial TP: 100,800 (sell 25 %) · 101,500 (sell 33.33 %) · 102,500 (sell 50 %)');
    // a second press (a stale client still showing the buttons) stores nothing more
    const again = h.emu.pressButton(alice, preview.message_id, trade, { force: true });
    expect((await again.answer).text).toBe('Already sent: this signal is traded once.');
    const [position] = await h.engine.listPositions(aliceId);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', stopLoss: 98_000, takeProfit: 104_000, partialTaken: [false, false, false] });
    const qty0 = position!.qty;

    // the post's first target (0.8 %: below the trader's own first level of 1 %) sells a quarter
    feed.push('BTC/USDT', 100_800);
    const first = await h.emu.waitForMessage(alice.id, /PARTIAL TP \(level 1\)/, 15_000);
    // a quarter of the position, sold at the tick less the paper exchange's slippage
    expect(first.text).toContain(`Sold ${Number((qty0 / 4).toFixed(8))} BTC at 100,7`);
    await expect.poll(async () => (await h.engine.getPosition(aliceId, position!.id))!.qty, { timeout: 15_000 }).toBeCloseTo(qty0 * 0.75, 7);
    // the second sells a third of what remains: half of the first quantity is left (the sale rounded down to the market step of 1e-8)
    feed.push('BTC/USDT', 101_500);
    await h.emu.waitForMessage(alice.id, /PARTIAL TP \(level 2\)/, 15_000);
    await expect.poll(async () => (await h.engine.getPosition(aliceId, position!.id))!.qty, { timeout: 15_000 }).toBeCloseTo(qty0 * 0.5, 7);
    // the trader applies their settings to open positions: the post's own levels stay
    expect(await h.engine.applySettingsToOpenPositions({ telegramId: alice.id, userId: aliceId }, aliceId)).toBe(1);
    feed.push('BTC/USDT', 102_500);
    await h.emu.waitForMessage(alice.id, /PARTIAL TP \(level 3\)/, 15_000);
    await expect.poll(async () => (await h.engine.getPosition(aliceId, position!.id))!.qty, { timeout: 15_000 }).toBeCloseTo(qty0 * 0.25, 7);
    // and the last target closes the rest as the take profit
    feed.push('BTC/USDT', 104_000);
    await h.emu.waitForMessage(alice.id, /TAKE PROFIT[\s\S]*Position closed after/, 15_000);
    await expect.poll(async () => (await h.engine.listPositions(aliceId)).length, { timeout: 15_000 }).toBe(0);

    // Bob's chat never traded it: no execution, no position, no alert, not in his /signals
    const executions = await h.db.db.select().from(signalExecutions).where(eq(signalExecutions.signalId, rows[0]!.id));
    expect(executions.map((e) => e.userId)).toEqual([aliceId]);
    expect(await h.engine.listPositions(bobId)).toHaveLength(0);
    expect(h.emu.messages(bob.id).some((m) => /POSITION OPENED/.test(m.text))).toBe(false);
    expect((await h.engine.recentSignals(bobId, 10)).some((s) => s.source === 'telegram')).toBe(false);

    const signals = await h.say(alice, '/signals', /BUY BTC\/USDT/);
    expect(signals.text).toMatch(/BUY BTC\/USDT · 1\.00 · telegram|BUY BTC\/USDT[^\n]*telegram/);
    expect(signals.text).toContain('executed');
  });

  it('/signal previews the same way; Ignore stores nothing; a post with its stop on the wrong side is refused with the reason; both show in /signals', async () => {
    const aliceId = await paperTrader(alice);

    const preview = await h.say(alice, '/signal ETH/USDT buy sl 2900 tp 3100 3200', /Your signal/);
    expect(preview.text).toContain('ETH/USDT 🟢 LONG');
    expect(preview.text).toContain('Plan: partial exits at 3,100 (1/2 of the position each), the rest at 3,200');
    expect(preview.text).toContain('Entry: market');
    expect(preview.text).toContain('Would open 0.33333333 ETH (1,000.00 USDT) at about 3,000');
    expect(preview.text).toContain('Risk: 33.33 USDT (0.33 % of 10,000.00 USDT free) if the stop is hit');
    const ignored = await h.press(alice, preview, '✖ Ignore');
    expect(ignored.answer).toBe('Ignored: nothing was traded.');
    await h.edited(alice, preview, /Ignored: nothing was traded/);
    expect(await h.db.db.select().from(tradingSignals).where(eq(tradingSignals.userId, aliceId))).toHaveLength(0);

    const usage = await h.say(alice, '/signal ETH/USDT hold', /is not buy or sell/);
    expect(usage.text).toContain('Usage: /signal PAIR buy|sell');

    const refused = await h.say(alice, 'BTCUSDT LONG\nEntry: 100000\nTP: 103000\nSL: 101000', /Not taken as a signal/);
    expect(refused.text).toContain("the stop 101000 is not below the entry 100000: a long's stop must be below its entry");
    expect(refused.buttons).toEqual([]);

    // a post far from the market: refused against the live price
    const far = await h.say(alice, '#BTC/USDT Long\nEntry: 80000 - 81000\nTargets: 84000 86000\nStop: 78000', /Not taken as a signal/);
    expect(far.text).toContain('the market price 100000 is 23.5 % from the entry zone 80000–81000 (more than 5 %)');

    const chat = await h.say(alice, 'what do you think of ETH/USDT today?', /not taken as a signal/);
    expect(chat.text).toBe('I read ETH/USDT but no side (long, short, buy, sell, 🟢 or 🔴), so this is not taken as a signal.');
    // other chat still gets the usual answer
    await h.say(alice, 'hello there, thanks!', /I did not understand that/);

    const signals = await h.say(alice, '/signals', /BUY ETH\/USDT/);
    expect(signals.text).toContain('ignored by you');
    expect(signals.text).toContain("the stop 101000 is not below the entry 100000");
    expect(signals.text).toMatch(/manual/);
    expect(await h.engine.listPositions(aliceId)).toHaveLength(0);
  });

  it('/signal → Trade → a manual signal row for that trader → a position with its stop and take profit', async () => {
    const aliceId = await paperTrader(alice);
    const preview = await h.say(alice, '/signal ETH/USDT buy sl 2900 tp 3150', /Your signal/);
    expect(preview.text).toContain('🛑 SL 2,900 · 🎯 TP 3,150');
    await h.press(alice, preview, '✅ Trade');
    const rows = await h.db.db.select().from(tradingSignals).where(eq(tradingSignals.userId, aliceId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ symbol: 'ETH/USDT', action: 'BUY', source: 'manual', stopLoss: 2_900, takeProfit: 3_150 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*ETH\/USDT LONG/, 15_000);
    expect(opened.text).toContain('🛑 SL 2,900 · 🎯 TP 3,150');
    const [position] = await h.engine.listPositions(aliceId);
    expect(position).toMatchObject({ symbol: 'ETH/USDT', side: 'long', stopLoss: 2_900, takeProfit: 3_150 });
    // 1 000 USDT at about 3 000 (the paper fill's slippage and the fee in ETH leave a little less)
    expect(position!.qty).toBeGreaterThan(0.33);
    expect(position!.qty).toBeLessThan(0.3334);
  });

  it('a pasted short on a futures account: the post’s leverage under the trader’s own, its stop above, its first target sells half', async () => {
    const aliceId = await paperTrader(alice, 'Futures');
    // the trader allows 20×; risk level 5 caps it at 10×; the post asks 5×: 5× it is
    expect(await h.engine.updateSettings({ telegramId: alice.id, userId: aliceId }, aliceId, { leverage: 20 })).toMatchObject({ ok: true });
    feed.push('ETH/USDT:USDT', 3_000);

    const preview = await h.say(alice, '🔴 SHORT $ETH\nEntry zone: 2,990 - 3,010\nTP1: 2,950\nTP2: 2,900\n⛔ SL: 3,090\nLev 5x', /Pasted post/);
    expect(preview.text).toContain('ETH/USDT 🔴 SHORT');
    expect(preview.text).toContain('Plan: partial exits at 2,950 (1/2 of the position each), the rest at 2,900');
    expect(preview.text).toMatch(/Would open [\d.]+ ETH \([\d,.]+ USDT\) at about 3,000, 5×/);
    expect(preview.text).toContain('🛑 SL 3,090 · 🎯 TP 2,900');
    await h.press(alice, preview, '✅ Trade');

    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*ETH\/USDT:USDT SHORT/, 15_000);
    expect(opened.text).toContain('💰 Partial TP: 2,950 (sell 50 %)');
    const [position] = await h.engine.listPositions(aliceId);
    expect(position).toMatchObject({ side: 'short', mode: 'futures', leverage: 5, stopLoss: 3_090, takeProfit: 2_900 });
    feed.push('ETH/USDT:USDT', 2_950);
    await h.emu.waitForMessage(alice.id, /PARTIAL TP \(level 1\)[\s\S]*ETH\/USDT:USDT SHORT/, 15_000);
    // half, to the futures market's amount step (0.001 ETH)
    await expect.poll(async () => (await h.engine.getPosition(aliceId, position!.id))!.qty, { timeout: 15_000 }).toBeCloseTo(position!.qty / 2, 3);
  });
});
