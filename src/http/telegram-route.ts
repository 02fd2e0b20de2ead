/**
 * POST <TELEGRAM_WEBHOOK_URL's path>: Telegram's webhook, served by every process (SPEC §12). 200
 * (empty) once the update is handed to the bot, not when its handler ends, and for an update
 * handled already; 401 without the right
 * X-Telegram-Bot-Api-Secret-Token (the update is not handled; the header is never logged); 400
 * naming what is wrong with a body that is not an update; 503 while the bot is starting, so
 * Telegram delivers the update again later.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.ts';

/** bytes; an update with a 4096-character message and the one it replies to stays far below */
export const TELEGRAM_BODY_LIMIT = 1024 * 1024;

/** who handles the updates (src/bot/webhook-receiver.ts in the app) */
export interface TelegramUpdateReceiver {
  /** the URL path Telegram posts to */
  readonly path: string;
  /** the X-Telegram-Bot-Api-Secret-Token header is the right one */
  authorised(header: string | undefined): boolean;
  /** takes the update without waiting for its handler; 'not-ready' while the bot starts */
  receive(update: TelegramUpdate): Promise<'accepted' | 'duplicate' | 'not-ready'>;
}

/** the shape checked here: update_id and one object (message, callback_query, …) */
export interface TelegramUpdate {
  update_id: number;
  [kind: string]: unknown;
}

export type ReadUpdate = { ok: true; update: TelegramUpdate } | { ok: false; error: string };

/** Parses a POSTed body: 400-worthy problems are named. */
export function readUpdate(body: string): ReadUpdate {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return { ok: false, error: `the body is not JSON (${(e as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'the body is not a Telegram update: expected a JSON object' };
  const record = value as Record<string, unknown>;
  const id = record['update_id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return { ok: false, error: 'the body is not a Telegram update: update_id must be a non-negative integer' };
  const kinds = Object.keys(record).filter((k) => k !== 'update_id');
  if (kinds.length !== 1 || typeof record[kinds[0]!] !== 'object' || record[kinds[0]!] === null) {
    return { ok: false, error: 'the body is not a Telegram update: expected update_id and one object such as message or callback_query' };
  }
  return { ok: true, update: record as TelegramUpdate };
}

export function registerTelegramRoute(app: FastifyInstance, deps: { receiver: TelegramUpdateReceiver; logger: Logger }): void {
  const { receiver, logger } = deps;
  app.post(
    receiver.path,
    {
      bodyLimit: TELEGRAM_BODY_LIMIT,
      errorHandler: (error: { statusCode?: number; message: string }, _req, reply) => {
        if (error.statusCode === 413) return reply.code(413).send({ ok: false, error: `the body is larger than ${TELEGRAM_BODY_LIMIT / 1024 / 1024} MB` });
        logger.error({ err: error }, 'telegram webhook request failed');
        return reply.code(error.statusCode && error.statusCode < 500 ? error.statusCode : 500).send({ ok: false, error: error.message });
      },
    },
    async (req, reply) => {
      const header = req.headers['x-telegram-bot-api-secret-token'];
      if (!receiver.authorised(typeof header === 'string' ? header : undefined)) {
        logger.warn({ ip: req.ip, header: header === undefined ? 'missing' : 'wrong' }, 'telegram webhook request refused: wrong or missing secret token');
        return reply.code(401).send({ ok: false, error: 'wrong or missing X-Telegram-Bot-Api-Secret-Token' });
      }
      const read = readUpdate(typeof req.body === 'string' ? req.body : '');
      if (!read.ok) {
        logger.warn({ ip: req.ip, problem: read.error }, 'telegram webhook request refused: not an update');
        return reply.code(400).send({ ok: false, error: read.error });
      }
      const outcome = await receiver.receive(read.update);
      if (outcome === 'not-ready') return reply.code(503).header('retry-after', '5').send({ ok: false, error: 'the bot is starting; send the update again' });
      // an empty answer: a JSON body naming a method would be run by Telegram as a "webhook reply"
      return reply.code(200).send('');
    },
  );
}
