/**
 * Webhook figures (printed, not asserted) over real HTTP on localhost, with the engine running
 * (each stored signal is executed on an in-memory test venue), on PGlite and, when
 * TEST_DATABASE_URL is set, on PostgreSQL:
 *  - POST /hook/<id> → 200 with the signal id, one alert at a time, p50/p99 (TradingView waits 3 s);
 *  - the same request → the entry order at the exchange, p50/p99;
 *  - 50 traders' alerts at once: every answer's latency, p50/p99/max.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createRepos } from '../src/db/repos/index.ts';
import { createAuditRepo } from '../src/db/repos/audit.ts';
import { createSignalInputsRepo } from '../src/db/repos/signal-inputs.ts';
import { createWebhooksRepo } from '../src/db/repos/webhooks.ts';
import { apiKeys, users } from '../src/db/schema.ts';
import type { Database } from '../src/db/client.ts';
import { createEngine } from '../src/engine/create-engine.ts';
import { systemClock } from '../src/engine/clock.ts';
import { createWebhooks } from '../src/engine/webhooks.ts';
import { createHttpServer } from '../src/http/server.ts';
import { createLogger } from '../src/log.ts';
import { FakeVenue } from '../test/fakes/fake-venue.ts';
import { ManualFeed } from '../test/fakes/manual-feed.ts';
import { MemoryNotifier } from '../test/fakes/memory-notifier.ts';
import { secretBox } from '../test/engine/harness.ts';
import { databaseKinds, openTestDatabase } from '../test/support/databases.ts';
import { fmt, ms, quantile, type Bench } from './lib.ts';

const SEQUENTIAL = 200;
const BURST = 50;

async function measure(database: Database): Promise<string[]> {
  const box = secretBox();
  const feed = new ManualFeed('binance', systemClock);
  feed.push('BTC/USDT', 100);
  feed.push('ETH/USDT', 10);
  const orders = new Map<number, bigint>();
  let orderCount = 0;
  const venue = new FakeVenue({
    price: (s) => feed.lastTick(s)?.price,
    feeRate: 0.001,
    now: () => Date.now(),
    onOrder: (op) => {
      if (op === 'placeOrder') orders.set(++orderCount, process.hrtime.bigint());
    },
    startBalance: { USDT: 1_000_000 },
  });
  const engine = createEngine({
    database,
    repos: createRepos(database.db, box),
    notifier: new MemoryNotifier(),
    createExchange: (account) => venue.port(account),
    feeds: () => feed,
    config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
    options: { schedule: false },
  });
  const webhooks = createWebhooks({
    repo: createWebhooksRepo(database.db, box),
    inputs: createSignalInputsRepo(database.db),
    audit: createAuditRepo(database.db),
    engine: engine.facade,
    clock: systemClock,
  });
  const http = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ level: 'silent' }),
    engine: { phase: () => 'running', status: () => engine.facade.status(), signalSweepSeconds: 300 },
    webhooks,
  });
  const base = `http://127.0.0.1:${await http.start()}`;

  const traders = SEQUENTIAL + BURST;
  const batch = Array.from({ length: traders }, (_, i) => ({ id: randomUUID(), telegramId: 7_000_000 + i, chatId: 7_000_000 + i }));
  await database.db.insert(users).values(batch);
  await database.db.insert(apiKeys).values(batch.map((u) => ({ id: randomUUID(), userId: u.id, exchange: 'binance', mode: 'spot', isPaper: true })));
  const hooks = await Promise.all(batch.map(async (u) => (await webhooks.hookFor(u.id)).hookId));
  await engine.start();

  const post = async (hookId: string, body: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${base}/hook/${hookId}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await res.text();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    return ms(t0);
  };

  const answers: number[] = [];
  const toOrder: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const before = orderCount;
    const t0 = process.hrtime.bigint();
    answers.push(await post(hooks[i]!, '{"action":"buy","symbol":"BTCUSDT"}'));
    while (orderCount === before) await new Promise((r) => setImmediate(r));
    toOrder.push(ms(t0, orders.get(orderCount)!));
    await engine.settle();
  }
  const burst = await Promise.all(hooks.slice(SEQUENTIAL).map((h) => post(h, '{"action":"buy","symbol":"ETHUSDT"}')));
  await engine.settle();

  await http.close();
  await engine.stop();
  answers.sort((a, b) => a - b);
  toOrder.sort((a, b) => a - b);
  burst.sort((a, b) => a - b);
  return [
    `POST → 200 with the signal id: p50 ${fmt(quantile(answers, 0.5), 2)} ms, p99 ${fmt(quantile(answers, 0.99), 2)} ms (n=${answers.length}; TradingView waits 3 000 ms)`,
    `POST → entry order at the exchange: p50 ${fmt(quantile(toOrder, 0.5), 2)} ms, p99 ${fmt(quantile(toOrder, 0.99), 2)} ms`,
    `${BURST} traders' alerts at once, each answer: p50 ${fmt(quantile(burst, 0.5), 1)} ms, p99 ${fmt(quantile(burst, 0.99), 1)} ms, max ${fmt(burst.at(-1)!, 1)} ms`,
  ];
}

export default {
  name: 'webhook',
  async run() {
    for (const kind of databaseKinds()) {
      const database = await openTestDatabase(kind);
      try {
        for (const line of await measure(database)) console.log(`${kind}: ${line}`);
      } finally {
        await database.destroy();
      }
    }
    console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  },
} satisfies Bench;
