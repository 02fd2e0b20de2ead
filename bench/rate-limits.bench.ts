/**
 * Request budgets per key (issue 13, item 2): 100 Kraken accounts each close a spot position at
 * once (a balance read, then a market sell: the worst case of a spot close, which reads the balance
 * only after the exchange answers that the account holds less than the position), through real ccxt
 * against a server that counts every key as Kraken does (Starter tier: counter ≤ 15, decay
 * 0.33/s, refused above). Prints when the last exit order arrived (goal: under 5 s) and whether
 * any key went over its limit; then the same for 5 accounts sharing one budget, as before.
 * The raw endpoints are called (BalanceEx, AddOrder): the server speaks no more of Kraken.
 */
import type { Exchange } from 'ccxt';
import { createCcxtClient, createThrottleShare } from '../src/exchange/factory.ts';
import { startKrakenCounterServer } from '../test/exchange/kraken-counter-server.ts';
import { fmt, quantile, type Bench } from './lib.ts';

interface KrakenRaw {
  publicGetTicker(params: object): Promise<unknown>;
  privatePostBalanceEx(params?: object): Promise<unknown>;
  privatePostAddOrder(params: object): Promise<unknown>;
}

async function exits(accounts: number, sharedBudget: boolean): Promise<void> {
  const server = await startKrakenCounterServer();
  const throttles = createThrottleShare();
  const options = { kraken: { timeout: 60_000, urls: { api: { public: server.url, private: server.url } } } };
  // before: one budget with ccxt's Kraken defaults (what a keyless instance gets) for every account
  if (sharedBudget) createCcxtClient({ exchange: 'kraken', mode: 'spot', options, throttles });
  const clients = Array.from({ length: accounts }, (_, i) => {
    const client = createCcxtClient({ exchange: 'kraken', mode: 'spot', options, throttles, credentials: { apiKey: `key${i}`, secret: Buffer.from(`secret${i}`).toString('base64') } });
    // before: every account of the exchange drew from one budget
    if (sharedBudget) throttles.adopt('kraken', client);
    return client as Exchange & KrakenRaw;
  });
  // a running bot's instances are warm: the first request of a ccxt instance costs ~10 ms of setup
  for (const client of clients) await client.publicGetTicker({ pair: 'XXBTZUSD' });
  await new Promise((resolve) => setTimeout(resolve, sharedBudget ? 1_000 : 0));
  server.calls.length = 0;
  const started = Date.now();
  await Promise.all(
    clients.map(async (client) => {
      await client.privatePostBalanceEx();
      await client.privatePostAddOrder({ pair: 'XXBTZUSD', type: 'sell', ordertype: 'market', volume: '0.01' });
    }),
  );
  const orders = server.calls.filter((c) => c.path === '/0/private/AddOrder').map((c) => c.at - started).sort((a, b) => a - b);
  const refused = server.calls.filter((c) => c.refused).length;
  const maxCounter = Math.max(...server.calls.map((c) => c.counter ?? 0));
  const last = orders.at(-1) ?? NaN;
  console.log(
    `${accounts} Kraken accounts closing at once, ${sharedBudget ? 'one budget shared by all (before)' : 'a budget per key'}: ${orders.length} exit orders sent, ` +
      `p50 ${fmt(quantile(orders, 0.5), 0)} ms, last ${fmt(last, 0)} ms; refused by Kraken's counter: ${refused}; highest key counter ${fmt(maxCounter, 2)} of 15` +
      (sharedBudget ? '' : ` → ${last < 5_000 && refused === 0 ? 'met' : 'NOT met'} (goal: all within the per-key limits in under 5 s)`),
  );
  await server.close();
}

export default {
  name: 'request budgets per key (Kraken exits)',
  async run() {
    await exits(100, false);
    await exits(5, true);
  },
} satisfies Bench;
