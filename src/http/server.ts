/**
 * The process's one HTTP server (SPEC §9), on fastify: GET /healthz, GET /metrics and
 * POST /hook/<hookId>. Later parts (the Mini App, Telegram webhook mode) register on `app`.
 * No request logging by fastify: URLs carry hook ids, which are secrets.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { EngineStatus } from '../engine/facade.ts';
import type { WebhookFacade } from '../engine/webhooks.ts';
import type { Logger } from '../log.ts';
import { evaluateHealth, noStatusReport, type EnginePhase, type HealthReport } from './health.ts';
import { createIpLimiter, type IpLimiter } from './ip-limiter.ts';
import type { Metrics } from './metrics.ts';
import { registerWebhookRoute, WEBHOOK_BODY_LIMIT } from './webhook-route.ts';

/** /healthz gives the engine's status this long before it answers 503, ms */
const HEALTH_TIMEOUT_MS = 2_000;

export interface HttpServerDeps {
  host: string;
  /** 0: any free port (see `port` after start) */
  port: number;
  /** behind a reverse proxy: take the client address from X-Forwarded-For */
  trustProxy?: boolean;
  logger: Logger;
  engine: {
    phase(): EnginePhase;
    status(): Promise<EngineStatus>;
    signalSweepSeconds: number;
  };
  metrics?: Metrics;
  webhooks?: WebhookFacade;
  /** unknown hook ids allowed per address per minute (default 10) */
  unknownHookLimit?: number;
  limiter?: IpLimiter;
  now?: () => number;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  /** listens; resolves with the bound port */
  start(): Promise<number>;
  /** stops accepting, finishes requests in flight */
  close(): Promise<void>;
  /** the health report /healthz answers with */
  health(): Promise<HealthReport>;
}

export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const now = deps.now ?? Date.now;
  const app = Fastify({ logger: false, bodyLimit: WEBHOOK_BODY_LIMIT, trustProxy: deps.trustProxy ?? false, return503OnClosing: true });

  // every body is read as text: TradingView sends JSON or plain text under either content type
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      deps.metrics?.webhook('too_large');
      return reply.code(413).send({ ok: false, error: `the body is larger than ${WEBHOOK_BODY_LIMIT / 1024} KB`, field: 'body' });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.logger.error({ err: error }, 'http request failed');
    return reply.code(status).send({ ok: false, error: status === 500 ? 'internal error; nothing was stored' : error.message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ ok: false, error: 'not found: GET /healthz, GET /metrics, POST /hook/<id>' }));

  async function health(): Promise<HealthReport> {
    const phase = deps.engine.phase();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), HEALTH_TIMEOUT_MS);
    });
    const status = await Promise.race([deps.engine.status().catch(() => 'failed' as const), late]).finally(() => clearTimeout(timer));
    if (status === undefined || status === 'failed') return noStatusReport(phase, HEALTH_TIMEOUT_MS, status === 'failed');
    return evaluateHealth({ phase, status, now: now(), signalSweepSeconds: deps.engine.signalSweepSeconds });
  }

  app.get('/healthz', async (_req, reply) => {
    const report = await health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.text()));
  }

  if (deps.webhooks) {
    registerWebhookRoute(app, {
      webhooks: deps.webhooks,
      limiter: deps.limiter ?? createIpLimiter({ maxFailures: deps.unknownHookLimit ?? 10, windowMs: 60_000 }),
      metrics: deps.metrics,
      logger: deps.logger,
    });
  }

  return {
    app,
    async start() {
      await app.listen({ host: deps.host, port: deps.port });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : deps.port;
    },
    async close() {
      await app.close();
    },
    health,
  };
}
