/**
 * The backstop on Bybit perpetuals moves by amendment in place (POST /v5/order/amend): one
 * conditional order per position for its whole life, and few exchange calls for many ticks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeBybitWorld, createBybitWorld, openFromSignal, setPrice, type BybitWorld } from './bybit-world.ts';

const BACKSTOP_PATHS = new Set(['/v5/order/amend', '/v5/order/create', '/v5/order/cancel', '/v5/order/realtime']);

let w: BybitWorld | undefined;
afterEach(async () => {
  if (w) await closeBybitWorld(w);
  w = undefined;
});

describe('Bybit backstop under a trailing rally', () => {
  it('1 000 trailing ticks cost at most 5 exchange calls on the stop, each an amendment of the one order', async () => {
    w = await createBybitWorld({ mode: 'futures', marginMode: 'cross', settings: { partialTpEnabled: false } });
    const p = await openFromSignal(w);
    const stop = w.ex.book.orders.find((o) => o.triggerPrice > 0)!;
    const first = stop.triggerPrice;
    const before = w.ex.requests.length;
    let price = 100;
    for (let i = 1; i <= 1_000; i++) {
      // up 2 % with a ±0.2 % wiggle: never 1 % off its peak, so the trailing stop never closes it
      price = Math.round(100 * (1 + (0.02 * i) / 1_000 + 0.002 * Math.sin(i / 7)) * 100) / 100;
      w.h.clock.advance(1_000);
      setPrice(w, price);
      if (i % 5 === 0) await w.h.engine.sweepPositions();
    }
    await w.h.engine.settle();
    const calls = w.ex.requests.slice(before).filter((r) => BACKSTOP_PATHS.has(r.path));
    console.log(`Bybit backstop calls over 1 000 trailing ticks: ${calls.length} (${calls.map((c) => c.path).join(', ')}); stop ${first} → ${stop.triggerPrice}`);
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.path === '/v5/order/amend')).toBe(true);
    expect(w.ex.book.orders.filter((o) => o.triggerPrice > 0)).toEqual([stop]);
    expect(stop).toMatchObject({ orderStatus: 'Untriggered', qty: 10 });
    expect(stop.triggerPrice).toBeGreaterThan(first);
    expect(stop.triggerPrice).toBeLessThan(price * 0.99);
    expect((await w.h.engine.facade.listPositions(w.userId))[0]).toMatchObject({ id: p.id, trailingActive: true, exchangeStop: { stopPrice: stop.triggerPrice } });
  }, 180_000); // ms: 1 000 ticks through the engine on a shared, often loaded machine (no timing is asserted)
});
