/**
 * A trader's view of Kraken Futures on the real engine and the real exchange layer (real ccxt
 * `krakenfutures` against the Kraken Futures emulator, the Bot API emulator, the real bot):
 * /connect checks the key with Kraken (which cannot tell whether a key may withdraw: the bot warns),
 * a BTC/USDT signal opens BTC/USD:USD, /positions shows it protected by Kraken's stop, and the
 * Close button closes it on the venue.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { realEngine } from './real-engine.ts';
import { apiKeys, tradingSettings, tradingSignals } from '../../src/db/schema.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { startKrakenFuturesEmulator, type KrakenFuturesEmulator } from '../emulators/exchange/krakenfutures-server.ts';
import { krakenFuturesOptions } from '../exchange/krakenfutures-support.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { eq } from 'drizzle-orm';

let h: Harness;
let emulator: KrakenFuturesEmulator;
let feed: ManualFeed;
beforeEach(async () => {
  emulator = await startKrakenFuturesEmulator({ apiKey: 'kfkey-ABCDEFGH9876' });
  emulator.book.collateral.clear();
  emulator.book.collateral.set('USDT', 5_000);
  feed = new ManualFeed('kraken', { now: () => Date.now() });
  feed.push('BTC/USD:USD', 50_000);
  h = await startHarness({ engine: realEngine({ options: krakenFuturesOptions(emulator, 2_000) }, feed) });
});
afterEach(async () => {
  await h.stop();
  await emulator.close();
});

describe('Kraken Futures in the chat (real engine, real ccxt, emulators)', () => {
  it('connect → a BTC/USDT signal opens BTC/USD:USD → /positions shows the stop on Kraken → Close closes it there', async () => {
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Kraken');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Kraken: which mode/), /^Futures/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, emulator.apiKey, /API secret/);
    await h.say(alice, emulator.secret, /Checking the key with Kraken/);
    const ok = await h.emu.waitForMessage(alice.id, /Connected Kraken futures \(isolated margin\) \(key …9876\), stored encrypted/, 15_000);
    expect(ok.text).toMatch(/does not tell whether/);
    expect(emulator.count('/accounts', 'GET')).toBeGreaterThanOrEqual(1);
    const [row] = await h.db.db.select().from(apiKeys);
    expect(row).toMatchObject({ exchange: 'kraken', mode: 'futures', isPaper: false });
    expect(JSON.stringify(row)).not.toContain(emulator.secret);

    const { userId } = (await createRecipientsRepo(h.db.db).byTelegramId(alice.id))!;
    await h.db.db.update(tradingSettings).set({ mode: 'futures', leverage: 5 }).where(eq(tradingSettings.userId, userId));
    await h.db.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3', userId, reasoning: 'test' });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USD:USD LONG/, 20_000);
    // the stop is placed right after the fill (the opened alert may arrive first)
    let [position] = await h.engine.listPositions(userId);
    for (const start = Date.now(); !position?.exchangeStop && Date.now() - start < 10_000; await new Promise((r) => setTimeout(r, 50))) [position] = await h.engine.listPositions(userId);
    expect(emulator.book.positions.get('PF_XBTUSD')?.size).toBeCloseTo(position!.qty, 9);

    const view = await h.positionCard(alice, /BTC\/USD long/, /BTC\/USD:USD LONG/);
    const [stop] = emulator.book.orders.filter((o) => o.orderType === 'stp' && o.status === 'open');
    expect(stop).toMatchObject({ reduceOnly: true, side: 'sell' });
    expect(view.text).toContain(`🛡 Protected on the exchange: stop at ${stop!.stopPrice!.toLocaleString('en-US')}`);

    emulator.setPrice('PF_XBTUSD', 50_300);
    const close = await h.press(alice, opened, '✖ Close');
    expect(close.answer).toBe('Closing BTC/USD:USD…');
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*Position closed after \d+ s\./, 15_000);
    expect(emulator.book.positions.size).toBe(0);
    expect(emulator.book.orders.filter((o) => o.orderType === 'stp' && o.status === 'open')).toEqual([]);
  });
});
