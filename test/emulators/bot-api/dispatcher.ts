/**
 * One Bot API call from arrival to answer: outage and token checks, injected faults, the method
 * itself, and the call log entry. Transport-free: the HTTP server turns the outcome into bytes.
 */
import { ApiError, badRequest, TG } from './api-error.ts';
import type { UploadedFile } from './http-body.ts';
import { LongPoll } from './long-poll.ts';
import { Messaging } from './messaging.ts';
import { optInt, optJson, optString, type Params } from './params.ts';
import { RateLimiter, TELEGRAM_RATE_LIMITS } from './rate-limit.ts';
import type { Store } from './store.ts';
import type { AnswerCallbackQueryParams, CallRecord, CustomMethod, Fault, OutageMode, RateLimitConfig } from './types.ts';
import { WEBHOOK_CONFLICT, WebhookPush, type WebhookPushOptions } from './webhook-push.ts';

export type Outcome =
  | { kind: 'json'; status: number; body: Record<string, unknown> }
  | { kind: 'disconnect' }
  | { kind: 'bad-gateway' };

/** ms; Telegram refuses an answerCallbackQuery this long after the press */
const CALLBACK_ANSWER_DEADLINE_MS = 15_000;

type Handler = (p: Params, files: UploadedFile[], clientGone: Promise<void>) => unknown;

/** Thrown into a held long poll when an outage starts, so it fails the way new calls do. */
class OutageStarted extends Error {}

export class Dispatcher {
  readonly log: CallRecord[] = [];
  readonly custom = new Map<string, CustomMethod>();
  /** pending callback query id → when it was pressed (ms) and who waits for the bot's answer */
  readonly callbackQueries = new Map<string, { pressedAt: number; resolve: (answer: AnswerCallbackQueryParams) => void }>();
  private readonly profile = new Map<string, string>();
  private readonly commands = new Map<string, unknown[]>();
  private readonly faults = new Map<string, Array<{ remaining: number; fault: Fault }>>();
  private outageMode: OutageMode = false;
  private limiter: RateLimiter | undefined;
  private readonly poll: LongPoll;
  private readonly messaging: Messaging;
  private readonly builtins: Map<string, Handler>;
  readonly webhook: WebhookPush;

  constructor(
    private readonly store: Store,
    private readonly token: string,
    webhook: WebhookPushOptions,
  ) {
    this.poll = new LongPoll(store);
    this.webhook = new WebhookPush(store, webhook);
    this.messaging = new Messaging({ store, admit: (method, chatId) => this.admit(method, chatId) });
    const m = this.messaging;
    const table: Record<string, Handler> = {
      getMe: () => store.botInfo,
      getUpdates: (p, _f, gone) => {
        if (this.webhook.active) throw WEBHOOK_CONFLICT();
        return this.poll.getUpdates(p, gone);
      },
      setWebhook: (p) => {
        const set = this.webhook.setWebhook(p);
        // a poll held from before ends the way a new one would
        if (this.webhook.active) this.poll.release(WEBHOOK_CONFLICT());
        return set;
      },
      deleteWebhook: (p) => this.webhook.deleteWebhook(p),
      getWebhookInfo: () => this.webhook.getWebhookInfo(),
      setMyCommands: (p) => this.setMyCommands(p),
      getMyCommands: (p) => this.commands.get(this.commandsKey(p)) ?? [],
      deleteMyCommands: (p) => {
        this.commands.delete(this.commandsKey(p));
        return true;
      },
      sendMessage: (p) => m.sendMessage(p),
      sendPhoto: (p, files) => m.sendPhoto(p, files),
      editMessageText: (p) => m.editMessageText(p),
      editMessageReplyMarkup: (p) => m.editMessageReplyMarkup(p),
      editMessageCaption: (p) => m.editMessageCaption(p),
      deleteMessage: (p) => m.deleteMessage(p),
      sendChatAction: (p) => m.sendChatAction(p),
      answerCallbackQuery: (p) => this.answerCallbackQuery(p),
      deleteMessages: (p) => m.deleteMessages(p),
      setMyDescription: (p) => this.setProfileText(p, 'description', 512),
      getMyDescription: () => ({ description: this.profile.get('description') ?? '' }),
      setMyShortDescription: (p) => this.setProfileText(p, 'short_description', 120),
      getMyShortDescription: () => ({ short_description: this.profile.get('short_description') ?? '' }),
    };
    this.builtins = new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase(), v]));
  }

  async dispatch(method: string, token: string, params: Params, files: UploadedFile[], clientGone: Promise<void>): Promise<Outcome> {
    const record: CallRecord = { seq: this.log.length + 1, method, params: describeParams(params, files), time: this.store.now(), pending: true, status: 0, ok: false };
    this.log.push(record);
    this.store.changed();
    const outcome = await this.run(method, token, params, files, clientGone, record);
    if (outcome.kind === 'json') {
      record.status = outcome.status;
      record.ok = outcome.body['ok'] === true;
      if (record.ok) record.result = outcome.body['result'];
      else {
        record.error_code = outcome.body['error_code'] as number;
        record.description = outcome.body['description'] as string;
      }
    } else if (outcome.kind === 'bad-gateway') {
      record.status = 502;
      record.description = 'Bad Gateway (outage)';
    } else record.description ??= 'connection dropped';
    record.pending = false;
    this.store.changed();
    return outcome;
  }

  private async run(method: string, token: string, params: Params, files: UploadedFile[], clientGone: Promise<void>, record: CallRecord): Promise<Outcome> {
    if (this.outageMode) return this.outageOutcome();
    if (token !== this.token) return errorOutcome(TG.unauthorized());
    const key = method.toLowerCase();
    const fault = this.takeFault(key);
    if (fault === 'disconnect') {
      record.description = 'connection dropped (injected)';
      return { kind: 'disconnect' };
    }
    if (fault !== undefined && fault !== 'disconnect-after-apply') {
      const retry = fault.retry_after ?? (fault.error_code === 429 ? 1 : undefined);
      return errorOutcome(new ApiError(fault.error_code, fault.description ?? defaultDescription(fault.error_code, retry), retry === undefined ? undefined : { retry_after: retry }));
    }
    const handler = this.custom.get(key) ?? this.builtins.get(key);
    if (!handler) return errorOutcome(TG.methodNotFound());
    // Telegram reads every string as UTF-8: a lone surrogate (an emoji cut in half) is refused
    if (hasLoneSurrogate(params)) return errorOutcome(TG.notUtf8());
    try {
      const result = await handler(params, files, clientGone);
      if (fault === 'disconnect-after-apply') {
        record.description = 'connection dropped after the call took effect (injected)';
        return { kind: 'disconnect' };
      }
      return { kind: 'json', status: 200, body: { ok: true, result } };
    } catch (e) {
      if (e instanceof OutageStarted) return this.outageOutcome();
      if (e instanceof ApiError) return errorOutcome(e);
      return errorOutcome(new ApiError(500, `Internal Server Error: emulator failed in ${method}: ${(e as Error).message}`));
    }
  }

  private outageOutcome(): Outcome {
    return this.outageMode === 'disconnect' ? { kind: 'disconnect' } : { kind: 'bad-gateway' };
  }

  private takeFault(key: string): Fault | undefined {
    const queue = this.faults.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  }

  failNext(method: string, count: number, fault: Fault): void {
    const key = method.toLowerCase();
    const queue = this.faults.get(key) ?? [];
    queue.push({ remaining: count, fault });
    this.faults.set(key, queue);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setOutage(mode: OutageMode): void {
    this.outageMode = mode;
    if (mode) this.poll.release(new OutageStarted());
  }

  get outage(): OutageMode {
    return this.outageMode;
  }

  setRateLimits(config: boolean | Partial<RateLimitConfig>): void {
    this.limiter = config === false ? undefined : new RateLimiter({ ...TELEGRAM_RATE_LIMITS, ...(config === true ? {} : config) }, this.store.now());
  }

  private admit(method: string, chatId: number): void {
    if (!this.limiter?.counts(method)) return;
    const retryAfter = this.limiter.admit(chatId, this.store.now());
    if (retryAfter !== undefined) throw TG.tooManyRequests(retryAfter);
  }

  /** Ends a held long poll (the emulator is closing). */
  releasePoll(): void {
    this.poll.release();
  }

  private commandsKey(p: Params): string {
    const scope = optJson(p, 'scope') ?? { type: 'default' };
    return JSON.stringify([scope, optString(p, 'language_code') ?? '']);
  }

  private setMyCommands(p: Params): true {
    const commands = optJson(p, 'commands');
    if (!Array.isArray(commands)) throw badRequest('parameter "commands" must be an Array');
    if (commands.length > 100) throw badRequest('too many commands');
    for (const c of commands as Array<Record<string, unknown>>) {
      const name = c?.['command'];
      const description = c?.['description'];
      if (typeof name !== 'string' || !/^[a-z0-9_]{1,32}$/.test(name)) throw badRequest('BOT_COMMAND_INVALID');
      if (typeof description !== 'string' || description.trim() === '') throw badRequest('command description is empty');
      if (description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
    const scope = optJson(p, 'scope') as Record<string, unknown> | undefined;
    if (scope?.['type'] === 'chat') this.store.chatFor(optInt(scope, 'chat_id') ?? 0);
    this.commands.set(this.commandsKey(p), commands);
    return true;
  }

  private answerCallbackQuery(p: Params): true {
    const id = optString(p, 'callback_query_id') ?? '';
    const pending = this.callbackQueries.get(id);
    if (!pending || this.store.now() - pending.pressedAt > CALLBACK_ANSWER_DEADLINE_MS) throw TG.queryInvalid();
    const text = optString(p, 'text');
    if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    this.callbackQueries.delete(id);
    const answer: AnswerCallbackQueryParams = { callback_query_id: id };
    if (text !== undefined) answer.text = text;
    if (p['show_alert'] !== undefined) answer.show_alert = p['show_alert'] === true || p['show_alert'] === 'true';
    const url = optString(p, 'url');
    if (url !== undefined) answer.url = url;
    const cache = optInt(p, 'cache_time');
    if (cache !== undefined) answer.cache_time = cache;
    pending.resolve(answer);
    return true;
  }

  /** lengths in characters: description 512, short description 120 */
  private setProfileText(p: Params, field: string, max: number): true {
    const text = optString(p, field) ?? '';
    if (text.length > max) throw badRequest(`${field.toUpperCase()}_INVALID`);
    this.profile.set(field, text);
    return true;
  }

  commandsFor(scope: unknown = { type: 'default' }, languageCode = ''): unknown[] {
    return this.commands.get(JSON.stringify([scope, languageCode])) ?? [];
  }
}

function errorOutcome(e: ApiError): Outcome {
  const body: Record<string, unknown> = { ok: false, error_code: e.error_code, description: e.description };
  if (e.parameters) body['parameters'] = e.parameters;
  return { kind: 'json', status: e.error_code, body };
}

function defaultDescription(code: number, retryAfter: number | undefined): string {
  if (code === 429) return `Too Many Requests: retry after ${retryAfter ?? 1}`;
  if (code === 403) return 'Forbidden: bot was blocked by the user';
  if (code === 400) return 'Bad Request: injected fault';
  if (code === 401) return 'Unauthorized';
  return code >= 500 ? 'Internal Server Error' : `Error ${code}`;
}

/** The log keeps uploads as their size, not their bytes. */
function describeParams(params: Params, files: UploadedFile[]): Params {
  const out: Params = { ...params };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'string' && v.startsWith('attach://')) {
      const f = files.find((x) => x.field === v.slice('attach://'.length));
      if (f) out[k] = { upload: f.filename ?? f.field, size: f.data.length };
    }
  }
  for (const f of files) if (!Object.values(params).includes(`attach://${f.field}`)) out[f.field] = { upload: f.filename ?? f.field, size: f.data.length };
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasLoneSurrogate(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (depth > 8 || value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => hasLoneSurrogate(v, depth + 1));
}
