/**
 * Telegram's flood limits as token buckets: about 1 message/s per chat (small burst allowed)
 * and about 30 messages/s overall. A refused message consumes nothing.
 */
import type { RateLimitConfig } from './types.ts';

export const TELEGRAM_RATE_LIMITS: RateLimitConfig = {
  perChatPerSecond: 1,
  perChatBurst: 3,
  globalPerSecond: 30,
  globalBurst: 30,
  methods: ['sendMessage', 'sendPhoto', 'editMessageText', 'editMessageReplyMarkup', 'editMessageCaption'],
};

class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly capacity: number,
    /** tokens per ms */
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** ms until one token is available (0 = available now) */
  wait(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.rate;
  }

  take(): void {
    this.tokens -= 1;
  }
}

export class RateLimiter {
  private readonly chats = new Map<number, Bucket>();
  private global: Bucket;
  private readonly methods: Set<string>;

  constructor(
    readonly config: RateLimitConfig,
    now: number,
  ) {
    this.global = new Bucket(config.globalBurst, config.globalPerSecond / 1000, now);
    this.methods = new Set(config.methods.map((m) => m.toLowerCase()));
  }

  counts(method: string): boolean {
    return this.methods.has(method.toLowerCase());
  }

  /** undefined when the message may go now (and is counted); otherwise whole seconds to wait, at least 1 */
  admit(chatId: number, now: number): number | undefined {
    let chat = this.chats.get(chatId);
    if (!chat) {
      chat = new Bucket(this.config.perChatBurst, this.config.perChatPerSecond / 1000, now);
      this.chats.set(chatId, chat);
    }
    const waitMs = Math.max(chat.wait(now), this.global.wait(now));
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    chat.take();
    this.global.take();
    return undefined;
  }
}
