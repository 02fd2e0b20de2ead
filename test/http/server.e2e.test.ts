/**
 * /healthz and /metrics over real HTTP, on the engine as main.ts wires it (paper accounts, a
 * hand-driven price feed): 200 when healthy, 503 naming the part that is not; Prometheus text
 * with positions, orders, latency, outbox depth, feed staleness and exchange errors by code.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice } from '../bot/harness.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { startHttpWorld, type HttpWorld } from './world.ts';

describe('the HTTP server', () => {
  let w: HttpWorld;
  beforeEach(async () => {
    w = await startHttpWorld();
  });
  afterEach(async () => {
    await w.stop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${w.base}${path}`);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  async function openPaperPosition(): Promise<string> {
    await w.h.say(alice, '/start', /Welcome/);
    const ask = await w.h.say(alice, '/connect', /Which exchange/);
    await w.h.press(alice, ask, /Paper/);
    await w.h.press(alice, await w.h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
    await w.h.emu.waitForMessage(alice.id, /Paper account ready/);
    const userId = (await createRecipientsRepo(w.h.db.db).byTelegramId(alice.id))!.userId;
    const hook = await w.webhooks.hookFor(userId);
    expect((await w.post(`/hook/${hook.hookId}`, '{"action":"buy","symbol":"BTCUSDT"}')).status).toBe(200);
    await w.h.emu.waitForMessage(alice.id, /POSITION OPENED/, 15_000);
    w.feed.push('BTC/USDT', 100_100);
    return hook.hookId;
  }

  it('/healthz: 200 with every part named when healthy; 503 naming the engine while it starts, and a stale feed', { timeout: 60_000 }, async () => {
    const healthy = await get('/healthz');
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.text)).toMatchObject({ status: 'ok', checks: { engine: { ok: true }, database: { ok: true, detail: 'answering' }, marketData: { ok: true } }, problems: [] });

    w.setPhase('starting');
    const starting = await get('/healthz');
    expect(starting.status).toBe(503);
    expect(JSON.parse(starting.text).problems).toEqual(['engine: starting: restoring and reconciling positions']);
    w.setPhase('running');

    await openPaperPosition();
    expect((await get('/healthz')).status).toBe(200);
    w.feed.setStale(true);
    const stale = await get('/healthz');
    expect(stale.status).toBe(503);
    expect(JSON.parse(stale.text).problems).toEqual([expect.stringMatching(/^marketData: binance:spot feed stale \(no price for \d+ s\)$/)]);
    w.feed.setStale(false);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('/metrics: Prometheus text with positions, orders by result, latency, outbox, feeds and exchange errors by code', { timeout: 60_000 }, async () => {
    const hookId = await openPaperPosition();
    // a pair the paper exchange has no price for: an exchange error with its code
    expect((await w.post(`/hook/${hookId}`, '{"action":"buy","symbol":"NOPEUSDT"}')).status).toBe(200);
    // the stored row reaches the engine through LISTEN/NOTIFY: wait (5 s at most) until it was taken
    let m = await get('/metrics');
    for (let i = 0; i < 50 && !/^ase_exchange_errors_total\{/m.test(m.text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      await w.engine.settle();
      m = await get('/metrics');
    }
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.text).toMatch(/^ase_open_positions 1$/m);
    expect(m.text).toMatch(/^ase_orders_total\{exchange="binance-paper",kind="order",result="filled"\} 1$/m);
    expect(m.text).toMatch(/^ase_signal_to_entry_seconds_count 1$/m);
    expect(m.text).toMatch(/^ase_alert_outbox_depth \d+$/m);
    expect(m.text).toMatch(/^ase_market_data_stale\{feed="binance:spot"\} 0$/m);
    expect(m.text).toMatch(/^ase_market_data_last_tick_age_seconds\{feed="binance:spot"\} [\d.]+$/m);
    expect(m.text).toMatch(/^ase_exchange_errors_total\{exchange="binance-paper",call="\w+",code="[A-Z_]+"\} \d+$/m);
    expect(m.text).toMatch(/^ase_webhook_requests_total\{result="stored"\} 2$/m);
    expect(m.text).toMatch(/^ase_database_up 1$/m);
  });

  it('answers an unknown path with 404 JSON', async () => {
    const r = await get('/nothing');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toMatchObject({ ok: false });
  });
});
