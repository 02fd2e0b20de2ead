/**
 * A trader's webhook (SPEC §9), from the hook id to the stored signal. The alert becomes a
 * `trading_signals` row (source `webhook`, user_id the trader), so the engine's one signal path
 * (NOTIFY → validate → size → order) takes it from there and it can trade for that trader only.
 * A `close` alert closes the trader's open positions of the pair at once (exit reason manual).
 * Every input of a known hook is recorded, a refused one with its reason, for /signals.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseWebhookAlert, type WebhookAlert } from '../domain/webhook-alert.ts';
import type { WebhooksRepo } from '../db/repos/webhooks.ts';
import type { SignalInputsRepo } from '../db/repos/signal-inputs.ts';
import type { AuditRepo } from '../db/repos/audit.ts';
import type { Clock } from './clock.ts';
import type { Actor, EngineFacade } from './facade.ts';
import { silentLogger, type EngineLogger } from './ports.ts';

/** SPEC §9: the same alert again within this window is stored once, ms */
export const DUPLICATE_WINDOW_MS = 60_000;
/** hook ids carry 192 random bits (SPEC: ≥ 128), base64url */
const HOOK_ID_BYTES = 24;

export interface WebhookHook {
  /** the secret part of the URL: /hook/<hookId> */
  hookId: string;
  createdAt: Date;
  rotatedAt: Date | null;
}

export type WebhookOutcome =
  | { kind: 'stored'; signalId: string; duplicate: boolean; ignored: string[] }
  /** a close alert: `positions` of the pair are being closed (their alerts go to the chat) */
  | { kind: 'closing'; positions: number; message: string }
  | { kind: 'refused'; status: 400 | 422; field: string; error: string }
  | { kind: 'unknown' };

/** What the bot (/webhook) and the HTTP server ask of a trader's webhook. */
export interface WebhookFacade {
  /** the trader's hook, made on the first ask */
  hookFor(userId: string): Promise<WebhookHook>;
  /** a new hook id; the old one stops working at once */
  rotate(actor: Actor, userId: string): Promise<WebhookHook>;
  /** an alert body for `hookId`; fast (one lookup and one transaction), well within TradingView's 3 s */
  receive(hookId: string, body: string): Promise<WebhookOutcome>;
}

export interface WebhookDeps {
  repo: WebhooksRepo;
  inputs: SignalInputsRepo;
  audit: AuditRepo;
  /** closes positions for a close alert (through the same lock and runner as the trader's buttons) */
  engine: Pick<EngineFacade, 'listPositions' | 'closePosition'>;
  clock: Clock;
  logger?: EngineLogger;
}

/** a hook id as it may appear in a log line: its hash's first 8 hex digits, never the id */
export function hookTag(hookId: string): string {
  return createHash('sha256').update(hookId, 'utf8').digest('hex').slice(0, 8);
}

export function createWebhooks(deps: WebhookDeps): WebhookFacade {
  const { repo, inputs, clock } = deps;
  const logger = deps.logger ?? silentLogger;
  const newHookId = () => randomBytes(HOOK_ID_BYTES).toString('base64url');

  async function hookFor(userId: string): Promise<WebhookHook> {
    const existing = await repo.forUser(userId);
    if (existing) return existing;
    return repo.put(userId, newHookId(), new Date(clock.now()), false);
  }

  async function rotate(actor: Actor, userId: string): Promise<WebhookHook> {
    const hook = await repo.put(userId, newHookId(), new Date(clock.now()), true);
    await deps.audit.record({ actorTelegramId: actor.telegramId, actorUserId: actor.userId ?? null, action: 'webhook.rotate', target: userId, details: {}, at: clock.now() });
    return hook;
  }

  async function receive(hookId: string, body: string): Promise<WebhookOutcome> {
    const userId = await repo.userOf(hookId);
    if (!userId) return { kind: 'unknown' };
    const now = clock.now();
    const parsed = parseWebhookAlert(body, now);
    if (!parsed.ok) {
      await inputs.recordInput(userId, 'webhook', 'refused', [`webhook: ${parsed.error}`], { field: parsed.field }, new Date(now));
      return { kind: 'refused', status: parsed.status, field: parsed.field, error: parsed.error };
    }
    const alert = parsed.alert;
    if (alert.action === 'CLOSE') return close(userId, alert, now);
    const stored = await inputs.storeSignal(
      {
        userId,
        source: 'webhook',
        symbol: alert.symbol,
        action: alert.action,
        confidence: alert.confidence,
        stopLoss: alert.stopLoss,
        takeProfit: alert.takeProfit,
        // max_lag holds for the execution too: a signal the engine reaches later than that is refused
        expiresAt: new Date((alert.sentAt ?? now) + alert.maxLagSec * 1000),
        reasoning: `webhook alert (${alert.format})${alert.targets.length > 1 ? `; targets ${alert.targets.join(', ')}` : ''}`,
        details: { format: alert.format, targets: alert.targets, sentAt: alert.sentAt, price: alert.price, maxLagSec: alert.maxLagSec, ignored: alert.ignored },
        fingerprint: fingerprint(alert),
        now: new Date(now),
      },
      new Date(now - DUPLICATE_WINDOW_MS),
    );
    logger.info({ userId, hook: hookTag(hookId), signalId: stored.signalId, duplicate: stored.duplicate }, 'webhook alert stored');
    return { kind: 'stored', signalId: stored.signalId, duplicate: stored.duplicate, ignored: alert.ignored };
  }

  /** Starts closing the trader's open positions of the pair; the answer does not wait for the exchange. */
  async function close(userId: string, alert: WebhookAlert, now: number): Promise<WebhookOutcome> {
    const open = (await deps.engine.listPositions(userId)).filter((p) => p.status === 'open' && pairOf(p.symbol) === alert.symbol);
    if (open.length === 0) {
      const message = `no open position of ${alert.symbol} to close`;
      await inputs.recordInput(userId, 'webhook', 'closed', [message], { symbol: alert.symbol, action: 'CLOSE' }, new Date(now));
      return { kind: 'closing', positions: 0, message };
    }
    const actor: Actor = { telegramId: (await repo.telegramIdOf(userId)) ?? 0, userId };
    void (async () => {
      const results = await Promise.all(open.map((p) => deps.engine.closePosition(actor, userId, p.id, 1).catch((e: unknown) => ({ ok: false as const, message: String(e) }))));
      const reasons = results.map((r, i) => (r.ok ? `closed the ${open[i]!.side} of ${open[i]!.symbol}` : `the ${open[i]!.side} of ${open[i]!.symbol} was not closed: ${r.message}`));
      await inputs.recordInput(userId, 'webhook', 'closed', reasons, { symbol: alert.symbol, action: 'CLOSE' }, new Date(now));
    })().catch((error: unknown) => logger.error({ err: error, userId }, 'webhook close failed'));
    return { kind: 'closing', positions: open.length, message: `closing ${open.length} position${open.length > 1 ? 's' : ''} of ${alert.symbol}` };
  }

  return { hookFor, rotate, receive };
}

/** what makes two alerts the same signal (the 60 s duplicate rule) */
function fingerprint(a: WebhookAlert): string {
  return createHash('sha256')
    .update(JSON.stringify([a.symbol, a.action, a.stopLoss, a.targets, a.confidence]))
    .digest('hex');
}

/** BTC/USDT:USDT → BTC/USDT */
function pairOf(symbol: string): string {
  return symbol.split(':')[0]!;
}
