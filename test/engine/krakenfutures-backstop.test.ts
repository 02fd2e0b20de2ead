/**
 * The backstop on Kraken Futures moves by amendment in place (POST /derivatives/api/v3/editorder
 * with stopPrice, through ccxt editOrder): one stop order per position for its whole life, few
 * exchange calls for many ticks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeKrakenWorld, createKrakenWorld, openKraken, setKrakenPrice, type KrakenWorld } from './krakenfutures-world.ts';

const STOP_PATHS = new Set(['/derivatives/api/v3/sendorder', '/derivatives/api/v3/editorder', '/derivatives/api/v3/cancelorder']);

let w: KrakenWorld | undefined;
afterEach(async () => {
  if (w) await closeKrakenWorld(w);
  w = undefined;
});

describe('Kraken Futures backstop under a trailing rally', () => {
  it('1 000 trailing ticks cost at most 5 exchange calls on the stop, each an edit of the one stop order', async () => {
    w = await createKrakenWorld('pglite', { partialTpEnabled: false });
    setKrakenPrice(w, 50_000);
    const p = await openKraken(w);
    const stops = () => w!.ex.book.orders.filter((o) => o.orderType === 'stp' && o.status === 'open');
    expect(stops()).toHaveLength(1);
    const stop = stops()[0]!;
    const first = stop.stopPrice!;
    const size = stop.size;
    const before = w.ex.requests.length;
    let price = 50_000;
    for (let i = 1; i <= 1_000; i++) {
      // up 2 % with a ±0.2 % wiggle: never 1 % off its peak, so the trailing stop never closes it
      price = Math.round(50_000 * (1 + (0.02 * i) / 1_000 + 0.002 * Math.sin(i / 7)));
      w.h.clock.advance(1_000);
      setKrakenPrice(w, price);
      if (i % 5 === 0) await w.h.engine.sweepPositions();
    }
    await w.h.engine.settle();
    const calls = w.ex.requests.slice(before).filter((r) => STOP_PATHS.has(r.path));
    console.log(`Kraken Futures backstop calls over 1 000 trailing ticks: ${calls.length} (${calls.map((c) => c.path).join(', ')}); stop ${first} → ${stop.stopPrice}`);
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.path === '/derivatives/api/v3/editorder')).toBe(true);
    expect(stops()).toEqual([stop]);
    expect(stop).toMatchObject({ size, reduceOnly: true, side: 'sell' });
    expect(stop.stopPrice!).toBeGreaterThan(first);
    expect(stop.stopPrice!).toBeLessThan(price * 0.99);
    expect((await w.h.engine.facade.listPositions(w.userId))[0]).toMatchObject({ id: p.id, trailingActive: true, exchangeStop: { stopPrice: stop.stopPrice } });
  }, 180_000); // ms: 1 000 ticks through the engine on a shared, often loaded machine (no timing is asserted)
});
