/**
 * GET /metrics: Prometheus text (prom-client, its own registry: nothing global). Counted at the
 * edges main.ts wires: every exchange port (orders by result, exchange errors by code), the
 * notifier (signal → entry latency, from the signal row's created_at to the opened position's
 * event), the webhook route; the rest (open positions, outbox depth, feed staleness) is read from
 * the engine's status when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStatus } from '../engine/facade.ts';
import type { Notifier } from '../engine/events.ts';
import { isExchangeError, type ExchangePort, type OrderResult } from '../exchange/port.ts';

export interface MetricsDeps {
  status(): Promise<EngineStatus>;
  /** created_at (ms) of a signal row, for the latency histogram */
  signalCreatedAt(signalId: string): Promise<number | undefined>;
  now?: () => number;
  /** process metrics (memory, CPU, event loop lag); default true */
  processMetrics?: boolean;
  /** several processes on one PostgreSQL (SPEC §12): this process's id, its shards and jobs */
  leases?: () => { process: string; shards: number; alone: boolean; jobs: readonly string[] };
}

/** where an order came from in the port: an entry or other order, a close, a backstop stop */
type OrderKind = 'order' | 'close' | 'stop';

export type WebhookResult = 'stored' | 'duplicate' | 'closing' | 'refused' | 'unknown' | 'limited' | 'too_large' | 'error';

export interface Metrics {
  readonly contentType: string;
  /** the exposition text, with the status-derived gauges refreshed */
  text(): Promise<string>;
  /** the same port, counting order results and exchange errors */
  instrumentPort<P extends ExchangePort>(port: P): P;
  /** the same notifier, observing signal → entry latency on each opened position */
  instrumentNotifier(notifier: Notifier): Notifier;
  webhook(result: WebhookResult): void;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  if (deps.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'ase_' });
  const registers = [registry];

  const openPositions = new Gauge({ name: 'ase_open_positions', help: 'Positions open (or closing) in the engine', registers });
  const orders = new Counter({
    name: 'ase_orders_total',
    help: 'Orders sent to exchanges by kind (order, close, stop) and result (filled, partial, open, canceled, rejected, expired, error)',
    labelNames: ['exchange', 'kind', 'result'] as const,
    registers,
  });
  const exchangeErrors = new Counter({
    name: 'ase_exchange_errors_total',
    help: 'Exchange calls that failed, by exchange, call and error code (src/exchange/port.ts codes)',
    labelNames: ['exchange', 'call', 'code'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'ase_signal_to_entry_seconds',
    help: "From a signal row's created_at to its position opened (entry order filled and recorded)",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const outbox = new Gauge({ name: 'ase_alert_outbox_depth', help: 'Alerts waiting in the outbox', registers });
  const feedStale = new Gauge({ name: 'ase_market_data_stale', help: '1 when a market-data feed has had no tick for too long', labelNames: ['feed'] as const, registers });
  const feedAge = new Gauge({ name: 'ase_market_data_last_tick_age_seconds', help: 'Seconds since the last tick of a feed', labelNames: ['feed'] as const, registers });
  const quietSymbols = new Gauge({
    name: 'ase_market_data_quiet_symbols',
    help: 'Symbols whose stream went quiet while the feed lives (re-polled over REST)',
    labelNames: ['feed'] as const,
    registers,
  });
  const statusUp = new Gauge({ name: 'ase_database_up', help: '1 when the database answered the last status ping', registers });
  const processInfo = new Gauge({ name: 'ase_process_info', help: 'This process on its database (SPEC §12): 1, labelled with its id', labelNames: ['process'] as const, registers });
  const shardsHeld = new Gauge({ name: 'ase_shards_held', help: 'Shards of traders this process holds the lease of', registers });
  const alone = new Gauge({ name: 'ase_process_alone', help: '1 when no other process shares the database (this one keeps acting through a database outage)', registers });
  const jobRunning = new Gauge({ name: 'ase_job_running', help: '1 for each once-per-bot job this process runs', labelNames: ['job'] as const, registers });
  const webhooks = new Counter({ name: 'ase_webhook_requests_total', help: 'Webhook requests by result', labelNames: ['result'] as const, registers });

  async function refresh(): Promise<void> {
    const s = await deps.status();
    if (deps.leases) {
      const l = deps.leases();
      processInfo.reset();
      processInfo.set({ process: l.process }, 1);
      shardsHeld.set(l.shards);
      alone.set(l.alone ? 1 : 0);
      jobRunning.reset();
      for (const job of l.jobs) jobRunning.set({ job }, 1);
    }
    openPositions.set(s.openPositions);
    outbox.set(s.outboxDepth);
    statusUp.set(s.databaseOk ? 1 : 0);
    feedStale.reset();
    feedAge.reset();
    quietSymbols.reset();
    for (const f of s.marketData) {
      feedStale.set({ feed: f.exchange }, f.stale ? 1 : 0);
      if (f.lastTickAt) feedAge.set({ feed: f.exchange }, Math.max(0, (now() - f.lastTickAt.getTime()) / 1000));
      quietSymbols.set({ feed: f.exchange }, f.staleSymbols.length);
    }
  }

  function countResult(exchange: string, kind: OrderKind, r: Pick<OrderResult, 'status' | 'filledQty' | 'qty'>): void {
    const result = r.filledQty > 0 ? (r.filledQty < r.qty * (1 - 1e-9) && r.status !== 'closed' ? 'partial' : 'filled') : r.status;
    orders.inc({ exchange, kind, result });
  }

  function instrumentPort<P extends ExchangePort>(port: P): P {
    const exchange = port.account.paper ? `${port.account.exchange}-paper` : port.account.exchange;
    const kinds: Record<string, OrderKind> = { placeOrder: 'order', closePosition: 'close', placeStop: 'stop' };
    return new Proxy(port, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
        const fn = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const out = fn.apply(target, args);
          if (!(out instanceof Promise)) return out;
          return out.then(
            (res: unknown) => {
              const kind = kinds[prop];
              if (kind && res && typeof res === 'object') {
                const r = (kind === 'stop' ? { status: (res as { status: OrderResult['status'] }).status, filledQty: 0, qty: 1 } : res) as OrderResult;
                countResult(exchange, kind, r);
              }
              return res;
            },
            (error: unknown) => {
              const kind = kinds[prop];
              if (kind) orders.inc({ exchange, kind, result: 'error' });
              exchangeErrors.inc({ exchange, call: prop, code: isExchangeError(error) ? error.code : 'UNCLASSIFIED' });
              throw error;
            },
          );
        };
      },
    });
  }

  function instrumentNotifier(notifier: Notifier): Notifier {
    return {
      async notify(event, dedupeKey) {
        await notifier.notify(event, dedupeKey);
        if (event.kind === 'position_opened' && event.signalId) {
          const signalId = event.signalId;
          void deps
            .signalCreatedAt(signalId)
            .then((createdAt) => {
              if (createdAt !== undefined) latency.observe(Math.max(0, (now() - createdAt) / 1000));
            })
            .catch(() => {});
        }
      },
    };
  }

  return {
    contentType: registry.contentType,
    async text() {
      await refresh();
      return registry.metrics();
    },
    instrumentPort,
    instrumentNotifier,
    webhook: (result) => webhooks.inc({ result }),
  };
}
