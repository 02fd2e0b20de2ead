/**
 * A local Telegram Bot API server for tests: the real bot (grammY with `client: { apiRoot: emu.url }`)
 * talks HTTP to it, and the test plays the user. Validation, long polling, rate limits and
 * outages behave like Telegram's where it matters for catching bugs. Webhook mode too (setWebhook:
 * updates are POSTed to the app; see bot-api/webhook-push.ts, and `localBotApiServer` for http URLs).
 *
 *   const emu = await startBotApiEmulator();
 *   const bot = new Bot(emu.token, { client: { apiRoot: emu.url }, botInfo: emu.botInfo });
 *   void bot.start({ timeout: 1 });
 *   emu.sendCommand(alice, 'start');
 *   const reply = await emu.waitForMessage(alice.id, /connect/i);
 */
import { Dispatcher } from './bot-api/dispatcher.ts';
import { listen } from './bot-api/http-server.ts';
import { Store } from './bot-api/store.ts';
import type {
  BotApiEmulatorOptions,
  BotInfo,
  CallbackHandle,
  CallRecord,
  CustomMethod,
  Fault,
  MessageEvent,
  MessagePredicate,
  MessageView,
  OutageMode,
  RateLimitConfig,
  TgUser,
} from './bot-api/types.ts';
import { UserSide, type UserMessage } from './bot-api/user-side.ts';
import type { WebhookDelivery } from './bot-api/webhook-push.ts';

export type * from './bot-api/types.ts';
export type { UserMessage } from './bot-api/user-side.ts';
export type { WebhookDelivery } from './bot-api/webhook-push.ts';
export { TELEGRAM_RATE_LIMITS } from './bot-api/rate-limit.ts';
export { ApiError } from './bot-api/api-error.ts';

/** Fake, and shaped so the app's token check accepts it. Never put a real token in a test. */
export const TEST_BOT_TOKEN = '123456:TEST-TOKEN';

export interface BotApiEmulator {
  /** apiRoot for grammY: `http://127.0.0.1:<port>` (no trailing slash) */
  readonly url: string;
  readonly token: string;
  /** what getMe answers; pass as `botInfo` to skip getMe */
  readonly botInfo: BotInfo;

  // the user's side
  /** the user types `text` (a leading /command gets its bot_command entity); optionally as a reply to a message */
  sendText(user: TgUser, text: string, opts?: { reply_to_message_id?: number }): UserMessage;
  /** the user forwards a post of `channel` into the chat (forward_origin of type channel) */
  forwardPost(user: TgUser, text: string, channel: { id: number; title: string; username?: string }): UserMessage;
  /** `command` with or without the leading '/'; args are appended after a space */
  sendCommand(user: TgUser, command: string, args?: string): UserMessage;
  pressButton(user: TgUser, messageId: number, callbackData: string, opts?: { force?: boolean }): CallbackHandle;
  pressButtonLabeled(user: TgUser, messageId: number, label: string | RegExp): CallbackHandle;
  /**
   * The earliest bot message or edit in the chat since the user's last action there that matches and
   * was not returned before (so several waits work in any order); default timeout 5000 ms.
   * A RegExp or string is matched against the visible text (caption for photos).
   */
  waitForMessage(chatId: number, predicate?: MessagePredicate, timeoutMs?: number): Promise<MessageEvent>;
  /**
   * The first call of `method` in the whole log that matches, resolving as soon as it arrives (a
   * held getUpdates counts: the bot is polling); use a predicate like `(c) => c.ok` to wait for
   * the answer. Default timeout 5000 ms.
   */
  waitForCall(method: string, predicate?: (call: CallRecord) => boolean, timeoutMs?: number): Promise<CallRecord>;
  /** the chat as it looks now, oldest first, deleted messages included with `deleted: true` */
  messages(chatId: number): MessageView[];
  deletedMessageIds(chatId: number): number[];
  /** recent messages and failed calls of a chat, for assertion messages */
  describeChat(chatId: number): string;
  /** makes the private chat exist without the user writing (the bot may message them first) */
  addUser(user: TgUser): void;
  /** true: the bot's sends to this chat fail with 403 "Forbidden: bot was blocked by the user" until the user writes again */
  setBlocked(userId: number, blocked: boolean): void;

  // what the bot did
  /** every call in arrival order, optionally one method (case-insensitive) */
  calls(method?: string): CallRecord[];
  /** the commands last set for a scope (default scope, no language) */
  commands(scope?: unknown, languageCode?: string): unknown[];
  pendingUpdates(): number;
  /** every POST to the webhook so far (setWebhook), oldest first */
  webhookDeliveries(): WebhookDelivery[];

  // trouble on Telegram's side
  /** turns the rate limits on (true = Telegram's figures), adjusts them, or turns them off (false) */
  setRateLimits(config: boolean | Partial<RateLimitConfig>): void;
  /** the next `count` calls of `method` fail with `fault` and have no effect (except 'disconnect-after-apply') */
  failNext(method: string, count: number, fault: Fault): void;
  clearFaults(): void;
  /** '502': every call answers 502 Bad Gateway (HTML); 'disconnect': connections are dropped; false: back to normal */
  setOutage(mode: OutageMode): void;
  /** adds or overrides a method; return its result, or throw an ApiError */
  handle(method: string, fn: CustomMethod): void;

  close(): Promise<void>;
}

export async function startBotApiEmulator(options: BotApiEmulatorOptions = {}): Promise<BotApiEmulator> {
  const token = options.token ?? TEST_BOT_TOKEN;
  const botInfo: BotInfo = {
    id: Number(token.split(':')[0]) || 123456,
    is_bot: true,
    first_name: options.botFirstName ?? 'ASE Test Bot',
    username: options.botUsername ?? 'ase_test_bot',
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
  const store = new Store(botInfo, options.now ?? Date.now);
  const dispatcher = new Dispatcher(store, token, {
    localBotApiServer: options.localBotApiServer ?? false,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    retryMs: options.webhookRetryMs ?? 1000,
  });
  if (options.rateLimits) dispatcher.setRateLimits(options.rateLimits);
  for (const u of options.knownUsers ?? []) store.ensureChat(u);
  const user = new UserSide(store, dispatcher, options.answerTimeoutMs ?? 5000);
  const server = await listen(dispatcher);

  return {
    url: server.url,
    token,
    botInfo,
    sendText: (u, text, opts) => user.sendText(u, text, opts),
    forwardPost: (u, text, channel) => user.forwardPost(u, text, channel),
    sendCommand: (u, command, args) => user.sendCommand(u, command, args),
    pressButton: (u, messageId, data, opts) => user.pressButton(u, messageId, data, opts),
    pressButtonLabeled: (u, messageId, label) => user.pressButtonLabeled(u, messageId, label),
    waitForMessage: (chatId, predicate, timeoutMs) => user.waitForMessage(chatId, predicate, timeoutMs),
    waitForCall: (method, predicate, timeoutMs) => user.waitForCall(method, predicate, timeoutMs),
    messages: (chatId) => user.messages(chatId),
    deletedMessageIds: (chatId) => user.deletedMessageIds(chatId),
    describeChat: (chatId) => user.describeChat(chatId),
    addUser: (u) => void store.ensureChat(u),
    setBlocked: (userId, blocked) => {
      store.chatFor(userId).blocked = blocked;
    },
    calls: (method) => (method ? dispatcher.log.filter((c) => c.method.toLowerCase() === method.toLowerCase()) : [...dispatcher.log]),
    commands: (scope, languageCode) => dispatcher.commandsFor(scope, languageCode),
    pendingUpdates: () => store.pendingUpdates(),
    webhookDeliveries: () => dispatcher.webhook.deliveries.map((d) => ({ ...d })),
    setRateLimits: (config) => dispatcher.setRateLimits(config),
    failNext: (method, count, fault) => dispatcher.failNext(method, count, fault),
    clearFaults: () => dispatcher.clearFaults(),
    setOutage: (mode) => dispatcher.setOutage(mode),
    handle: (method, fn) => void dispatcher.custom.set(method.toLowerCase(), fn),
    close: async () => {
      user.close();
      dispatcher.webhook.close();
      dispatcher.releasePoll();
      await server.close();
    },
  };
}
