/**
 * The HTTP server as main.ts wires it, in process: the real engine on paper accounts (prices from
 * a hand-driven feed), the real bot and alert outbox against the Bot API emulator, the webhooks,
 * the metrics counting at the exchange ports and the notifier. Tests talk to it over real HTTP.
 */
import { createEngine, type Engine } from '../../src/engine/create-engine.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createAuditRepo } from '../../src/db/repos/audit.ts';
import { createSignalInputsRepo } from '../../src/db/repos/signal-inputs.ts';
import { createSignalsRepo } from '../../src/db/repos/signals.ts';
import { createWebhooksRepo } from '../../src/db/repos/webhooks.ts';
import { systemClock } from '../../src/engine/clock.ts';
import { createWebhooks, type WebhookFacade } from '../../src/engine/webhooks.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createLogger } from '../../src/log.ts';
import type { EnginePhase } from '../../src/http/health.ts';
import { createMetrics, type Metrics } from '../../src/http/metrics.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { startHarness, type Harness } from '../bot/harness.ts';

export interface HttpWorld {
  h: Harness;
  feed: ManualFeed;
  engine: Engine;
  webhooks: WebhookFacade;
  metrics: Metrics;
  http: HttpServer;
  /** http://127.0.0.1:<port> */
  base: string;
  setPhase(phase: EnginePhase): void;
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; ms: number; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startHttpWorld(options: { kind?: 'pglite' | 'postgres'; unknownHookLimit?: number } = {}): Promise<HttpWorld> {
  const feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', 100_000);
  feed.push('ETH/USDT', 3_000);
  let engine!: Engine;
  let webhooks!: WebhookFacade;
  let metrics!: Metrics;
  let http!: HttpServer;
  let phase: EnginePhase = 'starting';
  let base = '';
  const logger = createLogger({ level: 'silent', secrets: [] });

  const h = await startHarness({
    ...(options.kind ? { kind: options.kind } : {}),
    engine: async ({ db, box, notifier }) => {
      const exchanges = createExchangeRuntime({ priceFeed: feed, paper: { store: createDrizzlePaperStore(db.db) } });
      const signals = createSignalsRepo(db.db);
      metrics = createMetrics({ status: () => engine.facade.status(), signalCreatedAt: async (id) => (await signals.get(id))?.createdAt, processMetrics: false });
      engine = createEngine({
        database: db,
        repos: createRepos(db.db, box),
        notifier: metrics.instrumentNotifier(notifier),
        createExchange: async (account) => metrics.instrumentPort(await exchanges.create(account)),
        feeds: () => feed,
        config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
        options: { schedule: false },
      });
      webhooks = createWebhooks({
        repo: createWebhooksRepo(db.db, box),
        inputs: createSignalInputsRepo(db.db),
        audit: createAuditRepo(db.db),
        engine: engine.facade,
        clock: systemClock,
      });
      http = createHttpServer({
        host: '127.0.0.1',
        port: 0,
        logger,
        engine: { phase: () => phase, status: () => engine.facade.status(), signalSweepSeconds: 300 },
        metrics,
        webhooks,
        ...(options.unknownHookLimit ? { unknownHookLimit: options.unknownHookLimit } : {}),
      });
      base = `http://127.0.0.1:${await http.start()}`;
      await engine.start();
      phase = 'running';
      return {
        facade: engine.facade,
        bot: { webhook: { webhooks, publicUrl: undefined, port: 8080 } },
        async stop() {
          phase = 'stopping';
          await http.close();
          await engine.stop();
          await exchanges.close();
        },
      };
    },
  });

  return {
    h,
    feed,
    engine,
    webhooks,
    metrics,
    http,
    base,
    setPhase: (p) => {
      phase = p;
    },
    async post(path, body, headers = { 'content-type': 'application/json' }) {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { method: 'POST', body, headers });
      const ms = performance.now() - started;
      const text = await res.text();
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { raw: text };
      }
      return { status: res.status, json, ms, headers: res.headers };
    },
    stop: () => h.stop(),
  };
}
