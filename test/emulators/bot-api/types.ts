/**
 * Public shapes of the Bot API emulator: what a test passes in and reads back.
 * Times are milliseconds since the epoch from the emulator's clock unless a name says seconds.
 */
import type { UserFromGetMe } from 'grammy/types';

/** A Telegram user as the emulator's "phone" side sees it; their private chat has the same id. */
export interface TgUser {
  id: number;
  first_name: string;
  username?: string;
  last_name?: string;
  language_code?: string;
}

export interface ButtonView {
  text: string;
  callback_data?: string;
  url?: string;
}

export interface PhotoView {
  file_id: string;
  /** bytes of the uploaded file; undefined when the bot sent a URL */
  size: number | undefined;
  /** pixels, read from a PNG header when the upload is a PNG */
  width?: number;
  height?: number;
  filename?: string;
  url?: string;
}

/** One message as the chat shows it now (after edits); deleted messages stay listed with `deleted: true`. */
export interface MessageView {
  message_id: number;
  chat_id: number;
  from: 'bot' | 'user';
  kind: 'text' | 'photo';
  /** what the user reads: message text with markup removed, or the photo caption ('' when none) */
  text: string;
  /** the text or caption exactly as the bot sent it (with HTML/Markdown markup) */
  raw_text: string;
  parse_mode: string | undefined;
  /** inline keyboard rows; reply-keyboard buttons appear with text only */
  buttons: ButtonView[][];
  reply_markup: unknown;
  photo: PhotoView | undefined;
  /** the message this one replies to, if any */
  reply_to_message_id: number | undefined;
  deleted: boolean;
  edit_count: number;
  /** seconds since the epoch, like Telegram's `date` */
  date: number;
  /** every earlier version's visible text, oldest first (empty when never edited) */
  previous_texts: string[];
}

/** A bot message event matched by waitForMessage: a new message, or an edit of an earlier one. */
export interface MessageEvent extends MessageView {
  event: 'sent' | 'edited';
}

export type MessagePredicate = RegExp | string | ((message: MessageView) => boolean);

export interface CallRecord {
  /** order of arrival, from 1 */
  seq: number;
  /** as the URL spelled it */
  method: string;
  params: Record<string, unknown>;
  /** ms since the epoch, when the request arrived */
  time: number;
  /** true from arrival until answered or dropped (a held long poll stays pending up to its timeout) */
  pending: boolean;
  /** HTTP status answered; 0 while pending or when the connection was dropped on purpose */
  status: number;
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
}

export interface AnswerCallbackQueryParams {
  callback_query_id: string;
  text?: string;
  show_alert?: boolean;
  url?: string;
  cache_time?: number;
}

export interface CallbackHandle {
  callback_query_id: string;
  update_id: number;
  /** resolves with the bot's answerCallbackQuery params; rejects after `answerTimeoutMs` if unanswered */
  answer: Promise<AnswerCallbackQueryParams>;
}

export interface RateLimitConfig {
  /** messages per second per chat (Telegram: about 1) */
  perChatPerSecond: number;
  /** messages a chat may receive at once before the per-chat rate applies */
  perChatBurst: number;
  /** messages per second over all chats (Telegram: about 30) */
  globalPerSecond: number;
  globalBurst: number;
  /** methods that count as a message */
  methods: string[];
}

/** How an injected failure shows: a Bot API error envelope, or a dropped connection before or after the call takes effect. */
export type Fault =
  | { error_code: number; description?: string; retry_after?: number }
  | 'disconnect'
  | 'disconnect-after-apply';

export type OutageMode = false | '502' | 'disconnect';

export type CustomMethod = (params: Record<string, unknown>) => unknown;

export interface BotApiEmulatorOptions {
  /** the only token answered; anything else gets 401. Default '123456:TEST-TOKEN' */
  token?: string;
  botUsername?: string;
  botFirstName?: string;
  /** on with Telegram's figures when true; default off */
  rateLimits?: boolean | Partial<RateLimitConfig>;
  /** clock in ms since the epoch; default Date.now */
  now?: () => number;
  /** how long a pressButton handle waits for answerCallbackQuery before `.answer` rejects; default 5000 ms */
  answerTimeoutMs?: number;
  /** users whose private chats exist before they write (the bot may message them first) */
  knownUsers?: TgUser[];
  /**
   * behave as a self-hosted Bot API server started with --local: setWebhook accepts http:// URLs on
   * any port (needed to reach an app on http://127.0.0.1). Default false: Telegram's own server,
   * which refuses anything but https on ports 443, 80, 88 and 8443.
   */
  localBotApiServer?: boolean;
  /** a webhook delivery not answered within this counts as failed ("Read timeout expired"); default 10 000 ms */
  webhookTimeoutMs?: number;
  /** after a failed webhook delivery, the queue is tried again after this pause; default 1000 ms */
  webhookRetryMs?: number;
}

/** what getMe answers: grammY's own type, so it can be passed as `botInfo` */
export type BotInfo = UserFromGetMe;
