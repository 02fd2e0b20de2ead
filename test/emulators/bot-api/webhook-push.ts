/**
 * Webhook mode as Telegram runs it: setWebhook stores the URL and secret token, then every queued
 * update is POSTed there (JSON, with X-Telegram-Bot-Api-Secret-Token) in order, up to
 * max_connections at once; a 2xx answer confirms it, anything else (a status, a timeout, a refused
 * connection) leaves it queued, is reported by getWebhookInfo's last_error_message, and is tried
 * again after a pause. getUpdates answers 409 while a webhook is set.
 *
 * Telegram's own server takes only https URLs on ports 443, 80, 88 and 8443; a self-hosted Bot API
 * server started with --local also posts to http and any port. The emulator is the former unless
 * started with `localBotApiServer: true`, which tests need to reach an app on http://127.0.0.1.
 * A method returned in a webhook's answer body (Telegram's "webhook reply") is not executed.
 */
import { ApiError, badRequest } from './api-error.ts';
import { optBool, optInt, optJson, optString, type Params } from './params.ts';
import type { Store, Update } from './store.ts';

const TELEGRAM_PORTS = new Set(['443', '80', '88', '8443']);
/** what Telegram delivers when allowed_updates is empty or was never given */
const DEFAULT_KINDS_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export interface WebhookPushOptions {
  /** a self-hosted server in --local mode: http:// and any port accepted */
  localBotApiServer: boolean;
  /** how long one delivery may take before it counts as failed, ms */
  timeoutMs: number;
  /** the pause after a failed delivery before the queue is tried again, ms */
  retryMs: number;
}

/** One POST to the webhook, for tests to inspect. */
export interface WebhookDelivery {
  update_id: number;
  url: string;
  /** ms since the epoch, when the POST was sent */
  time: number;
  /** HTTP status of the answer; 0 when there was none (timeout, connection refused) */
  status: number;
  ok: boolean;
  error?: string;
}

interface Settings {
  url: string;
  secret_token: string | undefined;
  max_connections: number;
  allowed_updates: string[];
}

export class WebhookPush {
  readonly deliveries: WebhookDelivery[] = [];
  private settings: Settings | undefined;
  private lastError: { date: number; message: string } | undefined;
  private readonly inFlight = new Set<number>();
  /** after a failed delivery nothing is sent until the retry timer fires (real time, whatever the emulator's clock) */
  private paused = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly aborts = new Set<AbortController>();
  private closed = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: Store,
    private readonly options: WebhookPushOptions,
  ) {
    this.stopListening = store.onChange(() => this.pump());
  }

  get active(): boolean {
    return this.settings !== undefined;
  }

  setWebhook(p: Params): true {
    const url = optString(p, 'url') ?? '';
    if (optBool(p, 'drop_pending_updates')) this.store.takeUpdates(Number.MAX_SAFE_INTEGER, 1);
    if (url === '') return this.deleteWebhook({});
    this.checkUrl(url);
    const secret = optString(p, 'secret_token');
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw badRequest(secret.length > 256 ? 'secret token is too long' : 'secret token contains unallowed characters');
    }
    const allowed = optJson(p, 'allowed_updates');
    if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((x) => typeof x === 'string'))) throw badRequest("can't parse allowed_updates JSON array");
    const previous = this.settings;
    this.settings = {
      url,
      secret_token: secret,
      max_connections: Math.min(100, Math.max(1, optInt(p, 'max_connections') ?? 40)),
      // like getUpdates: an omitted list keeps the previous one
      allowed_updates: (allowed as string[] | undefined) ?? previous?.allowed_updates ?? [],
    };
    if (previous?.url !== url) this.lastError = undefined;
    this.paused = false;
    clearTimeout(this.retryTimer);
    this.pump();
    return true;
  }

  deleteWebhook(p: Params): true {
    if (optBool(p, 'drop_pending_updates')) this.store.takeUpdates(Number.MAX_SAFE_INTEGER, 1);
    this.settings = undefined;
    this.lastError = undefined;
    for (const a of this.aborts) a.abort();
    return true;
  }

  getWebhookInfo(): Record<string, unknown> {
    const s = this.settings;
    const info: Record<string, unknown> = { url: s?.url ?? '', has_custom_certificate: false, pending_update_count: this.store.pendingUpdates() };
    if (s) {
      info['max_connections'] = s.max_connections;
      if (s.allowed_updates.length > 0) info['allowed_updates'] = [...s.allowed_updates];
      info['ip_address'] = '127.0.0.1';
    }
    if (this.lastError) {
      info['last_error_date'] = this.lastError.date;
      info['last_error_message'] = this.lastError.message;
    }
    return info;
  }

  close(): void {
    this.closed = true;
    this.stopListening();
    clearTimeout(this.retryTimer);
    for (const a of this.aborts) a.abort();
  }

  private checkUrl(raw: string): void {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    if (this.options.localBotApiServer) {
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('bad webhook: Unsupported URL protocol');
      return;
    }
    if (url.protocol !== 'https:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    if (url.port !== '' && !TELEGRAM_PORTS.has(url.port)) throw badRequest('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
  }

  /** Starts deliveries for queued updates, oldest first, while connections are free and no pause runs. */
  private pump(): void {
    const s = this.settings;
    if (!s || this.closed || this.paused) return;
    for (const update of this.store.takeUpdates(undefined, Number.MAX_SAFE_INTEGER)) {
      if (this.inFlight.size >= s.max_connections) return;
      if (this.inFlight.has(update.update_id)) continue;
      if (!this.wanted(update, s)) {
        this.store.confirm(update.update_id);
        continue;
      }
      this.inFlight.add(update.update_id);
      void this.deliver(update, s).finally(() => {
        this.inFlight.delete(update.update_id);
        this.pump();
      });
    }
  }

  private wanted(update: Update, s: Settings): boolean {
    const kind = Object.keys(update).find((k) => k !== 'update_id') ?? '';
    return s.allowed_updates.length > 0 ? s.allowed_updates.includes(kind) : !DEFAULT_KINDS_EXCLUDED.has(kind);
  }

  private async deliver(update: Update, s: Settings): Promise<void> {
    const record: WebhookDelivery = { update_id: update.update_id, url: s.url, time: this.store.now(), status: 0, ok: false };
    this.deliveries.push(record);
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(new Error('Read timeout expired')), this.options.timeoutMs);
    try {
      const res = await fetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(s.secret_token === undefined ? {} : { 'x-telegram-bot-api-secret-token': s.secret_token }) },
        body: JSON.stringify(update),
        signal: abort.signal,
      });
      record.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        record.ok = true;
        this.store.confirm(update.update_id);
      } else this.failed(record, `Wrong response from the webhook: ${res.status} ${res.statusText}`);
    } catch (e) {
      if (this.settings !== s) {
        record.error = 'not sent: the webhook was deleted or replaced meanwhile';
        return;
      }
      this.failed(record, describeFailure(abort.signal.reason ?? e));
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
      this.store.changed();
    }
  }

  private failed(record: WebhookDelivery, message: string): void {
    record.error = message;
    this.lastError = { date: Math.floor(this.store.now() / 1000), message };
    this.paused = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.paused = false;
      this.pump();
    }, this.options.retryMs);
  }
}

/** Telegram's wording for a webhook it could not reach */
function describeFailure(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string } };
  if (err.message === 'Read timeout expired') return err.message;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'Connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'Connection reset by peer';
  if (code === 'ENOTFOUND') return 'Failed to resolve host: Name or service not known';
  return err.message ?? String(e);
}

export const WEBHOOK_CONFLICT = () =>
  new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
