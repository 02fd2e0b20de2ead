/**
 * POST /hook/<hookId> (SPEC §9). The answer: 200 {ok, signal_id, duplicate} once the row is
 * stored; 4xx {ok:false, error, field} naming what was wrong; 404 for an unknown hook id, and 429
 * for an address that sent too many of those. The hook id is never logged (only a hash tag).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebhookFacade } from '../engine/webhooks.ts';
import { hookTag } from '../engine/webhooks.ts';
import type { Logger } from '../log.ts';
import type { IpLimiter } from './ip-limiter.ts';
import type { Metrics } from './metrics.ts';

/** SPEC §9: bodies over this are refused with 413, bytes */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;
/** TradingView waits 3 s; past this the answer says the signal is not confirmed, ms */
export const WEBHOOK_ANSWER_MS = 2_500;
/** hook ids we issue are 32 base64url characters; anything far off is not looked up */
const HOOK_ID = /^[A-Za-z0-9_-]{16,128}$/;
/** addresses' known-good hooks remembered, so a throttled shared address (TradingView's) still delivers them */
const KNOWN_HOOKS_MAX = 10_000;

export interface WebhookRouteDeps {
  webhooks: WebhookFacade;
  limiter: IpLimiter;
  metrics?: Metrics | undefined;
  logger: Logger;
}

export function registerWebhookRoute(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const known = new Set<string>();
  const remember = (hash: string) => {
    known.delete(hash);
    known.add(hash);
    if (known.size > KNOWN_HOOKS_MAX) known.delete(known.values().next().value as string);
  };

  app.post<{ Params: { hookId: string } }>('/hook/:hookId', async (req, reply) => {
    const { hookId } = req.params;
    const hash = createHash('sha256').update(hookId, 'utf8').digest('hex');
    const retryMs = deps.limiter.retryAfterMs(req.ip);
    if (retryMs > 0 && !known.has(hash)) {
      deps.metrics?.webhook('limited');
      const seconds = Math.ceil(retryMs / 1000);
      return reply
        .code(429)
        .header('retry-after', String(seconds))
        .send({ ok: false, error: `too many requests with unknown hook ids from this address; try again in ${seconds} s` });
    }
    if (!HOOK_ID.test(hookId)) return unknown();

    const body = typeof req.body === 'string' ? req.body : '';
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), WEBHOOK_ANSWER_MS);
    });
    const outcome = await Promise.race([deps.webhooks.receive(hookId, body), late]).finally(() => clearTimeout(timer));
    if (outcome === 'late') {
      deps.metrics?.webhook('error');
      deps.logger.error({ hook: hookTag(hookId) }, 'webhook alert not stored in time');
      return reply.code(503).send({ ok: false, error: `the signal was not confirmed within ${WEBHOOK_ANSWER_MS / 1000} s; it may still be stored: check /signals before sending it again` });
    }
    if (outcome.kind === 'unknown') return unknown();
    remember(hash);
    if (outcome.kind === 'refused') {
      deps.metrics?.webhook('refused');
      return reply.code(outcome.status).send({ ok: false, error: outcome.error, field: outcome.field });
    }
    if (outcome.kind === 'closing') {
      deps.metrics?.webhook('closing');
      return reply.code(200).send({ ok: true, closing: outcome.positions, message: outcome.message });
    }
    deps.metrics?.webhook(outcome.duplicate ? 'duplicate' : 'stored');
    return reply.code(200).send({
      ok: true,
      signal_id: outcome.signalId,
      duplicate: outcome.duplicate,
      ...(outcome.ignored.length > 0 ? { ignored_keys: outcome.ignored } : {}),
    });

    function unknown() {
      deps.limiter.fail(req.ip);
      deps.metrics?.webhook('unknown');
      return reply.code(404).send({ ok: false, error: 'unknown hook id: send /webhook to the bot for your URL' });
    }
  });
}
