/**
 * SPEC §9 webhook, end to end: the trader asks /webhook in the chat (Bot API emulator), an HTTP
 * request to that URL stores a signal row for that trader only, the engine opens the position on
 * the paper exchange, and the opened alert reaches the trader's chat. Refusals name their field
 * and show in /signals; duplicates are stored once; unknown ids get 404, then 429.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { alice, bob } from '../bot/harness.ts';
import { harnessKinds } from '../bot/harness.ts';
import { auditLog, signalExecutions, signalInputs, tradingSignals, webhookHooks } from '../../src/db/schema.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import type { TgUser } from '../emulators/bot-api.ts';
import { startHttpWorld, type HttpWorld } from './world.ts';

describe.each(harnessKinds())('webhook on %s', (kind) => {
  let w: HttpWorld;
  beforeEach(async () => {
    w = await startHttpWorld({ kind, unknownHookLimit: 5 });
  });
  afterEach(async () => {
    await w.stop();
  });

  async function paperTrader(user: TgUser): Promise<string> {
    await w.h.say(user, '/start', /Welcome/);
    const ask = await w.h.say(user, '/connect', /Which exchange/);
    await w.h.press(user, ask, /Paper/);
    await w.h.press(user, await w.h.emu.waitForMessage(user.id, /which mode/), /^Spot/);
    await w.h.emu.waitForMessage(user.id, /Paper account ready/);
    return (await createRecipientsRepo(w.h.db.db).byTelegramId(user.id))!.userId;
  }

  /** the hook path the bot showed the trader */
  async function hookPath(user: TgUser, command = '/webhook'): Promise<string> {
    const shown = await w.h.say(user, command, command === '/webhook' ? /Your webhook/ : /New webhook URL/);
    const url = /https?:\/\/\S+\/hook\/([A-Za-z0-9_-]+)/.exec(shown.text);
    expect(url, shown.text).not.toBeNull();
    return `/hook/${url![1]}`;
  }

  it("an alert sent to the trader's URL opens a position for that trader only, and the opened alert reaches the chat", { timeout: 60_000 }, async () => {
    const aliceId = await paperTrader(alice);
    const bobId = await paperTrader(bob);
    const path = await hookPath(alice);
    const shown = w.h.lastBotMessage(alice, /Your webhook/).text;
    expect(shown).toContain('{"action":"{{strategy.order.action}}","symbol":"{{ticker}}","timestamp":"{{timenow}}","max_lag":300}');
    expect(shown).toContain('YOUR-SERVER'); // PUBLIC_URL unset: the trader is told to fill in the address
    // the database holds the hook id only hashed and sealed
    const [stored] = await w.h.db.db.select().from(webhookHooks).where(eq(webhookHooks.userId, aliceId));
    expect(JSON.stringify(stored)).not.toContain(path.slice('/hook/'.length));

    const res = await w.post(path, JSON.stringify({ action: 'buy', ticker: 'BINANCE:BTCUSDT', stop_loss: 98_000, take_profit: [103_000, 105_000], timestamp: new Date().toISOString() }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, duplicate: false });
    const signalId = res.json['signal_id'] as string;
    const [row] = await w.h.db.db.select().from(tradingSignals).where(eq(tradingSignals.id, signalId));
    expect(row).toMatchObject({ symbol: 'BTC/USDT', action: 'BUY', confidence: 1, source: 'webhook', userId: aliceId, stopLoss: 98_000, takeProfit: 105_000 });
    const [input] = await w.h.db.db.select().from(signalInputs).where(eq(signalInputs.signalId, signalId));
    expect(input!.details).toMatchObject({ targets: [103_000, 105_000], format: 'json' });

    const opened = await w.h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 15_000);
    expect(opened.text).toMatch(/SL 98,000/);
    const [position] = await w.engine.facade.listPositions(aliceId);
    expect(position).toMatchObject({ symbol: 'BTC/USDT', side: 'long', isPaper: true, stopLoss: 98_000, takeProfit: 105_000 });

    // Bob's account never saw it: no execution, no position, not in his /signals
    await w.engine.settle();
    expect(await w.h.db.db.select().from(signalExecutions).where(eq(signalExecutions.userId, bobId))).toEqual([]);
    expect(await w.engine.facade.listPositions(bobId)).toEqual([]);
    const bobs = await w.h.say(bob, '/signals');
    expect(bobs.text).not.toContain('webhook');
    const alices = await w.h.say(alice, '/signals', /webhook/);
    expect(alices.text).toMatch(/BUY BTC\/USDT[\s\S]*webhook/);

    // a close alert closes it (exit reason manual), answered before the exchange is done
    const close = await w.post(path, 'SYMBOL=BTCUSDT\nSIGNAL=close', { 'content-type': 'text/plain' });
    expect(close.json).toMatchObject({ ok: true, closing: 1 });
    await w.h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*BTC\/USDT/, 15_000);
    await expect.poll(async () => (await w.engine.facade.listPositions(aliceId)).length).toBe(0);
    await w.h.say(alice, '/signals', /CLOSE BTC\/USDT[\s\S]*closed the long of BTC\/USDT/);

    // the metrics saw the order and the latency
    const metrics = await (await fetch(`${w.base}/metrics`)).text();
    expect(metrics).toMatch(/ase_orders_total\{exchange="binance-paper",kind="order",result="filled"\} 1/);
    expect(metrics).toMatch(/ase_orders_total\{exchange="binance-paper",kind="close",result="filled"\} 1/);
    expect(metrics).toMatch(/ase_signal_to_entry_seconds_count 1/);
    expect(metrics).toMatch(/ase_webhook_requests_total\{result="stored"\} 1/);
  });

  it('names the bad field (400), refuses an alert older than max_lag (422) and a body over 64 KB (413); /signals shows each reason', { timeout: 60_000 }, async () => {
    const aliceId = await paperTrader(alice);
    const path = await hookPath(alice);

    const noSymbol = await w.post(path, JSON.stringify({ action: 'buy' }));
    expect(noSymbol).toMatchObject({ status: 400, json: { ok: false, field: 'symbol' } });
    const badStop = await w.post(path, JSON.stringify({ action: 'sell', symbol: 'BTCUSDT', stop_loss: 'high' }));
    expect(badStop).toMatchObject({ status: 400, json: { ok: false, field: 'stop_loss' } });
    const stale = await w.post(path, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT', timestamp: Date.now() - 120_000, max_lag: 60 }));
    expect(stale).toMatchObject({ status: 422, json: { ok: false, field: 'timestamp' } });
    expect(stale.json['error']).toMatch(/12\d s old, more than max_lag 60 s/);
    const huge = await w.post(path, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT', note: 'x'.repeat(70 * 1024) }));
    expect(huge).toMatchObject({ status: 413, json: { ok: false, field: 'body' } });

    expect(await w.h.db.db.select().from(tradingSignals)).toEqual([]);
    const listed = await w.h.say(alice, '/signals', /symbol is missing/);
    expect(listed.text).toMatch(/stop_loss "high" is not a positive price/);
    expect(listed.text).toMatch(/more than max_lag 60 s/);
    expect((await w.engine.facade.recentSignals(aliceId, 10)).every((s) => s.source === 'webhook' && s.outcome === 'rejected')).toBe(true);
  });

  it('the same alert twice within 60 s is stored once; concurrent copies too', { timeout: 60_000 }, async () => {
    await paperTrader(alice);
    const path = await hookPath(alice);
    const body = JSON.stringify({ action: 'sell', symbol: 'ETHUSDT', confidence: 0.9 });
    const copies = await Promise.all([w.post(path, body), w.post(path, body), w.post(path, body)]);
    expect(copies.map((c) => c.status)).toEqual([200, 200, 200]);
    const ids = new Set(copies.map((c) => c.json['signal_id']));
    expect(ids.size).toBe(1);
    expect(copies.filter((c) => c.json['duplicate'] === true)).toHaveLength(2);
    expect(await w.h.db.db.select().from(tradingSignals)).toHaveLength(1);
    // a different alert is a different signal
    const other = await w.post(path, JSON.stringify({ action: 'sell', symbol: 'ETHUSDT', confidence: 0.8 }));
    expect(other.json['signal_id']).not.toBe([...ids][0]);
  });

  it('/webhook rotate replaces the URL: the old one answers 404 at once; unknown ids from one address are limited (429) while known hooks still pass', { timeout: 60_000 }, async () => {
    await paperTrader(alice);
    const old = await hookPath(alice);
    expect(await hookPath(alice)).toBe(old); // shown again, unchanged
    const fresh = await hookPath(alice, '/webhook rotate');
    expect(fresh).not.toBe(old);
    const [audit] = await w.h.db.db.select().from(auditLog).where(eq(auditLog.action, 'webhook.rotate'));
    expect(audit).toMatchObject({ actorTelegramId: alice.id });

    const body = JSON.stringify({ action: 'buy', symbol: 'ETHUSDT' });
    expect((await w.post(old, body)).status).toBe(404);
    expect((await w.post(fresh, body)).status).toBe(200);
    // unknownHookLimit 5: the old URL and four guesses use it up
    for (let i = 0; i < 4; i++) expect((await w.post(`/hook/guess${i}guess${i}guess${i}`, body)).status).toBe(404);
    const limited = await w.post('/hook/another-guess-of-the-id', body);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // a trader whose alerts share the address (TradingView's) is not locked out
    const again = await w.post(fresh, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT' }));
    expect(again.status).toBe(200);
  });
});
