/**
 * The done-when flow on the real engine: a trader goes from /start to a protected paper position
 * (opened by a real signal row through NOTIFY, the engine, the paper exchange) and closes it with
 * a button; the stop loss of another protects it without the trader. Bot API emulator, real
 * bot, real outbox; prices come from a hand-driven feed instead of an exchange.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, bob, startHarness, type Harness, connectPaperSpot } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';

let h: Harness;
let feed: ManualFeed;
beforeEach(async () => {
  feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', 100_000);
  feed.push('ETH/USDT', 3_000);
  h = await startHarness({ engine: realEngine({ priceFeed: feed }, feed) });
});
afterEach(async () => {
  await h.stop();
});

async function signal(userId: string, symbol: string) {
  await h.db.db.insert(tradingSignals).values({ symbol, action: 'BUY', confidence: 0.8, source: 'titan_v3', userId, reasoning: 'test' });
}

describe('on the real engine', () => {
  it('from /start to a protected paper position, closed with a button; a stop loss closes another by itself', async () => {
    const userId = await connectPaperSpot(h, alice);

    await signal(userId, 'BTC/USDT');
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 15_000);
    expect(opened.text).toMatch(/🛑 SL [\d,.]+ · 🎯 TP [\d,.]+/);
    expect(opened.text).toContain('Protected');
    const [position] = await h.engine.listPositions(userId);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', status: 'open', isPaper: true });
    expect(position!.stopLoss).toBeLessThan(100_000);
    expect(position!.takeProfit).toBeGreaterThan(100_000);

    const view = await h.positionCard(alice, /BTC\/USDT long/, /BTC\/USDT LONG/);
    expect(view.text).toMatch(/P&L/);
    // the paper exchange holds the backstop stop as a live venue would (SPEC §10), 0.5 % beyond the bot's stop
    const shown = /🛡 Protected on the exchange: stop at ([\d,.]+)/.exec(view.text);
    expect(shown).not.toBeNull();
    expect(Number(shown![1]!.replace(/,/g, ''))).toBeCloseTo(position!.stopLoss! * 0.995, 0);

    // Bob forges a button for Alice's position: refused, nothing changes
    const hello = await h.say(bob, '/start', /Welcome, Bob/);
    const forged = h.emu.pressButton(bob, hello.message_id, `p:close:${position!.id}:a1`, { force: true });
    expect((await forged.answer).text).toBe('This is not one of your positions.');
    expect((await h.engine.getPosition(userId, position!.id))!.qty).toBe(position!.qty);

    // a double tap on Close 50 %: one half goes, once
    const half = opened.buttons.flat().find((b) => b.text === '½ Close 50 %')!.callback_data!;
    const taps = [h.emu.pressButton(alice, opened.message_id, half), h.emu.pressButton(alice, opened.message_id, half)];
    const answers = (await Promise.all(taps.map((t) => t.answer))).map((a) => a.text).sort();
    expect(answers).toEqual(['Already done: this button acts once.', 'Closing 50 % of BTC/USDT…']);
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*still open/, 15_000);
    expect((await h.engine.getPosition(userId, position!.id))!.qty).toBeCloseTo(position!.qty / 2, 10);

    feed.push('BTC/USDT', 100_400);
    // the alert was redrawn with fresh buttons after the half close
    const redrawn = h.emu.messages(alice.id).find((m) => m.message_id === opened.message_id)!;
    const closed = await h.press(alice, redrawn, '✖ Close');
    expect(closed.answer).toBe('Closing BTC/USDT…');
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*Position closed after \d+ s\./, 15_000);
    expect(await h.engine.listPositions(userId)).toHaveLength(0);
    const again = await h.press(alice, h.emu.messages(alice.id).find((m) => m.message_id === view.message_id)!, '✖ Close');
    expect(again.answer).toBe('This position is already closed.');
    const trades = await h.say(alice, '/trades', /Last 2 trades/);
    expect(trades.text).toMatch(/BTC\/USDT long/);

    // protection without the trader: the stop loss fires on a falling price
    await signal(userId, 'ETH/USDT');
    await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*ETH\/USDT LONG/, 15_000);
    const [eth] = await h.engine.listPositions(userId);
    feed.push('ETH/USDT', eth!.stopLoss! * 0.99);
    const sl = await h.emu.waitForMessage(alice.id, /STOP LOSS TRIGGERED[\s\S]*ETH\/USDT/, 15_000);
    expect(sl.text).toMatch(/Position closed after \d+ s\./);
    expect(sl.buttons).toEqual([]);
  });
});
