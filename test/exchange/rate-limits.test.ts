import type { Exchange } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { createCcxtClient, createThrottleShare, type ThrottleShare } from '../../src/exchange/factory.ts';
import { startKrakenCounterServer, type KrakenCounterServer } from './kraken-counter-server.ts';

/** the raw Kraken endpoints ccxt generates (what fetchBalance and createOrder call underneath) */
interface KrakenRaw {
  privatePostBalanceEx(params?: object): Promise<{ error: string[] }>;
  publicGetTicker(params: object): Promise<{ error: string[] }>;
}

describe('request budgets per key (Kraken, real ccxt against a server counting as Kraken does)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(): Promise<{ server: KrakenCounterServer; throttles: ThrottleShare; client: (key?: string) => Exchange & KrakenRaw }> {
    const server = await startKrakenCounterServer();
    cleanup.push(() => server.close());
    const throttles = createThrottleShare();
    const options = { kraken: { timeout: 10_000, urls: { api: { public: server.url, private: server.url } } } };
    const client = (key?: string) =>
      createCcxtClient({ exchange: 'kraken', mode: 'spot', options, throttles, ...(key ? { credentials: { apiKey: key, secret: Buffer.from(`secret-${key}`).toString('base64') } } : {}) }) as Exchange & KrakenRaw;
    return { server, throttles, client };
  }

  it('three accounts asking their balance four times at once are all answered at once: each key has its own budget', async () => {
    const { server, client } = await setup();
    const accounts = ['k1', 'k2', 'k3'].map((key) => client(key));
    const started = Date.now();
    const answers = await Promise.all(accounts.flatMap((account) => [1, 2, 3, 4].map(() => account.privatePostBalanceEx())));
    const elapsed = Date.now() - started;
    expect(answers.every((a) => a.error.length === 0)).toBe(true);
    // one shared Kraken bucket (1 token/s, Balance costs 3) would have needed 33 s for these 12; each
    // key's own budget lets them all go at once (a key's signed calls go one after another, in nonce order)
    expect(elapsed).toBeLessThan(10_000);
    expect(server.calls.filter((c) => c.path === '/0/private/BalanceEx').map((c) => c.key).sort()).toEqual(['k1', 'k1', 'k1', 'k1', 'k2', 'k2', 'k2', 'k2', 'k3', 'k3', 'k3', 'k3']);
  });

  it("one account's burst stops at Kraken's documented counter (14 at once, then one every 3 s), and Kraken never refuses it", async () => {
    const { server, client } = await setup();
    const account = client('busy');
    const started = Date.now();
    const answered: number[] = [];
    await Promise.all(Array.from({ length: 15 }, () => account.privatePostBalanceEx().then(() => answered.push(Date.now() - started))));
    answered.sort((a, b) => a - b);
    // the first 14 go as fast as the key's calls go one after another; the 15th waits for the counter to decay
    expect(answered[14]).toBeGreaterThanOrEqual(2_500);
    expect(answered[14]! - answered[13]!).toBeGreaterThanOrEqual(1_000);
    expect(server.calls.filter((c) => c.refused)).toEqual([]);
    expect(Math.max(...server.calls.map((c) => c.counter ?? 0))).toBeLessThanOrEqual(15);
  }, 10_000);

  it('public data of keyless instances draws from one shared budget per exchange', async () => {
    const { server, client } = await setup();
    const [a, b] = [client(), client()];
    const started = Date.now();
    await Promise.all([a, b, a, b].map((c) => c.publicGetTicker({ pair: 'XXBTZUSD' })));
    const times = server.calls.filter((c) => c.path === '/0/public/Ticker').map((c) => c.at - started);
    // Kraken public calls: one per second for the exchange, whichever instance asks
    expect(times).toHaveLength(4);
    expect(Math.max(...times)).toBeGreaterThanOrEqual(2_500);
  }, 10_000);
});
