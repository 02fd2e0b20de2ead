/**
 * The backstop on OKX moves by amendment in place (POST /api/v5/trade/amend-algos, through ccxt
 * editOrder with type `conditional`): one algo order per position for its whole life, few
 * exchange calls for many ticks. USDT swaps and spot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeOkxWorld, createOkxWorld, liveAlgos, openLong, setPrice, type OkxWorld } from './okx-world.ts';

const ALGO_PATHS = new Set(['/api/v5/trade/order-algo', '/api/v5/trade/amend-algos', '/api/v5/trade/cancel-algos']);

let w: OkxWorld | undefined;
afterEach(async () => {
  if (w) await closeOkxWorld(w);
  w = undefined;
});

describe.each(['futures', 'spot'] as const)('OKX %s backstop under a trailing rally', (mode) => {
  it('1 000 trailing ticks cost at most 5 exchange calls on the stop, each an amendment of the one algo order', async () => {
    w = await createOkxWorld('pglite', mode, { ...(mode === 'futures' ? { marginMode: 'cross' as const } : {}), settings: { partialTpEnabled: false } });
    setPrice(w, 100);
    const p = await openLong(w);
    expect(liveAlgos(w)).toHaveLength(1);
    const stop = liveAlgos(w)[0]!;
    const first = stop.slTriggerPx!;
    const size = stop.sz;
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
    const calls = w.ex.requests.slice(before).filter((r) => ALGO_PATHS.has(r.path) && r.method === 'POST');
    console.log(`OKX ${mode} backstop calls over 1 000 trailing ticks: ${calls.length} (${calls.map((c) => c.path).join(', ')}); stop ${first} → ${stop.slTriggerPx}`);
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.path === '/api/v5/trade/amend-algos')).toBe(true);
    expect(liveAlgos(w)).toEqual([stop]);
    expect(stop.sz).toBe(size);
    expect(stop.slOrdPx).toBe(-1); // still a market stop
    expect(stop.slTriggerPx!).toBeGreaterThan(first);
    expect(stop.slTriggerPx!).toBeLessThan(price * 0.99);
    expect((await w.h.engine.facade.listPositions(w.userId))[0]).toMatchObject({ id: p.id, trailingActive: true, exchangeStop: { stopPrice: stop.slTriggerPx } });
  }, 180_000); // ms: 1 000 ticks through the engine on a shared, often loaded machine (no timing is asserted)
});
