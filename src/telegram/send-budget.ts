/**
 * One outgoing budget per bot token, shared by the bot's replies and the alert outbox: Telegram
 * counts every message of a token against the same limits (about 30 a second overall, about one a
 * second per chat with short bursts), whoever sends it. Replies wait for a slot and go first;
 * alerts take what replies leave, one chat at a time at the sustained pace. Clock in ms, injected.
 */
import fetch from 'node-fetch';

export interface SendLimits {
  /** messages per second over all chats; kept under Telegram's 30 so arrival jitter never crosses it */
  globalPerSecond: number;
  /** messages that may leave at once over all chats; a fraction is slack for a sender late to its slot */
  globalBurst: number;
  /** sustained messages per second to one chat */
  perChatPerSecond: number;
  /** messages one chat may get at once (Telegram allows short bursts) */
  perChatBurst: number;
  /** ms between two alerts to one chat: alerts keep the sustained pace, bursts are left to replies */
  alertGapMs: number;
}

/**
 * 28/s over all chats with half a message of slack: a one-second window holds at most 29 sends (1.5 +
 * 28), so arrival jitter under 50 ms never takes the receiver over 30, and a sender up to 18 ms late
 * for its slot loses nothing (with a whole-message burst of 1, every late wake-up was lost rate)
 */
export const TELEGRAM_SEND_LIMITS: SendLimits = { globalPerSecond: 28, globalBurst: 1.5, perChatPerSecond: 1, perChatBurst: 3, alertGapMs: 1000 };

/** The methods Telegram's flood limits count (sending and editing messages). */
export const MESSAGE_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendMediaGroup',
  'editMessageText',
  'editMessageCaption',
  'editMessageReplyMarkup',
  'copyMessage',
  'forwardMessage',
]);

class Bucket {
  constructor(
    public tokens: number,
    public at: number,
  ) {}

  refill(now: number, capacity: number, perMs: number): number {
    if (now > this.at) {
      this.tokens = Math.min(capacity, this.tokens + (now - this.at) * perMs);
      this.at = now;
    }
    return this.tokens;
  }
}

interface Waiter {
  chatId: number | undefined;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class SendBudget {
  readonly limits: SendLimits;
  private readonly global: Bucket;
  private readonly chats = new Map<number, Bucket>();
  private readonly lastAlert = new Map<number, number>();
  private readonly heldUntil = new Map<number, number>();
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  private prunedAt = -Infinity;

  constructor(
    limits: Partial<SendLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...TELEGRAM_SEND_LIMITS, ...limits };
    this.global = new Bucket(this.limits.globalBurst, now());
  }

  private globalTokens(t: number): number {
    return this.global.refill(t, this.limits.globalBurst, this.limits.globalPerSecond / 1000);
  }

  private chatTokens(chatId: number, t: number): number {
    if ((this.heldUntil.get(chatId) ?? 0) > t) return 0;
    const b = this.chats.get(chatId);
    return b ? b.refill(t, this.limits.perChatBurst, this.limits.perChatPerSecond / 1000) : this.limits.perChatBurst;
  }

  private spend(chatId: number | undefined, t: number): void {
    this.globalTokens(t);
    this.global.tokens -= 1;
    this.sent++;
    if (chatId === undefined) return;
    const b = this.chats.get(chatId) ?? new Bucket(this.limits.perChatBurst, t);
    b.refill(t, this.limits.perChatBurst, this.limits.perChatPerSecond / 1000);
    b.tokens -= 1;
    this.chats.set(chatId, b);
  }

  /** replies waiting whose chat could take a message now: alerts leave the global slots to them */
  private reserved(t: number): number {
    let n = 0;
    for (const w of this.waiters) if (w.chatId === undefined || this.chatTokens(w.chatId, t) >= 1) n++;
    return n;
  }

  /** A reply: resolves when it may leave (the slot is taken). Replies are served in arrival order per chat. */
  acquire(chatId: number | undefined, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { chatId, resolve, reject };
      this.waiters.push(w);
      signal?.addEventListener('abort', () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      });
      this.serve();
    });
  }

  private serve(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const t = this.now();
    const blockedChats = new Set<number>();
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.globalTokens(t) < 1) break;
      const chatBusy = w.chatId !== undefined && (blockedChats.has(w.chatId) || this.chatTokens(w.chatId, t) < 1);
      if (chatBusy) {
        // later replies to this chat keep their order behind this one
        blockedChats.add(w.chatId!);
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.spend(w.chatId, t);
      w.resolve();
    }
    if (this.waiters.length > 0) this.timer = setTimeout(() => this.serve(), Math.max(5, this.msUntilGlobal(t)));
  }

  private msUntilGlobal(t: number): number {
    const tokens = this.globalTokens(t);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / this.limits.globalPerSecond);
  }

  /** whole alert sends that may start now: the global slots no waiting reply needs */
  available(): number {
    const t = this.now();
    return Math.max(0, Math.floor(this.globalTokens(t) - this.reserved(t)));
  }

  /** ms until an alert could find a global slot */
  msUntilFree(): number {
    return Math.max(this.msUntilGlobal(this.now()), this.waiters.length > 0 ? 20 : 0);
  }

  /** an alert may go to this chat now: a chat slot, and the sustained gap since its last alert */
  chatReady(chatId: number): boolean {
    const t = this.now();
    const last = this.lastAlert.get(chatId);
    return this.chatTokens(chatId, t) >= 1 && (last === undefined || t - last >= this.limits.alertGapMs);
  }

  /** An alert takes its slot now; false when the budget has none for it (a reply came first). */
  takeForAlert(chatId: number): boolean {
    const t = this.now();
    if (this.globalTokens(t) - this.reserved(t) < 1 || !this.chatReady(chatId)) return false;
    this.spend(chatId, t);
    this.lastAlert.set(chatId, t);
    return true;
  }

  /** the alert that took its slot leaves now: its chat's gap counts from here */
  alertLeaves(chatId: number): void {
    this.lastAlert.set(chatId, this.now());
  }

  /** an alert to this chat left at `at` (before a restart): the chat is paced from there */
  sentEarlier(chatId: number, at: number): void {
    const known = this.lastAlert.get(chatId);
    if (known === undefined || known < at) this.lastAlert.set(chatId, at);
    const b = this.chats.get(chatId) ?? new Bucket(this.limits.perChatBurst, at);
    b.tokens = Math.min(b.tokens, this.limits.perChatBurst - 1);
    b.at = Math.max(b.at, at);
    this.chats.set(chatId, b);
  }

  /** Telegram said wait (429 retry_after): nothing goes to this chat for `seconds`, and the global bucket starts from empty */
  backOff(chatId: number | undefined, seconds: number): void {
    const t = this.now();
    if (chatId !== undefined) this.heldUntil.set(chatId, Math.max(this.heldUntil.get(chatId) ?? 0, t + seconds * 1000));
    this.globalTokens(t);
    this.global.tokens = Math.min(this.global.tokens, 0);
  }

  /** messages counted so far (replies and alerts) */
  count(): number {
    return this.sent;
  }

  /** forget idle chats (memory stays bounded); walks the maps at most every 10 s, however often it is called */
  prune(): void {
    const t = this.now();
    if (t - this.prunedAt < 10_000) return;
    this.prunedAt = t;
    for (const [chat, at] of this.lastAlert) if (t - at > 60_000) this.lastAlert.delete(chat);
    for (const [chat, b] of this.chats) if (t - b.at > 60_000) this.chats.delete(chat);
    for (const [chat, until] of this.heldUntil) if (until < t) this.heldUntil.delete(chat);
  }
}

/** the chat a JSON-encoded Bot API call goes to (a multipart upload counts against the global budget only) */
function chatOf(body: unknown): number | undefined {
  if (typeof body !== 'string') return undefined;
  const m = /"chat_id":\s*"?(-?\d+)/.exec(body);
  return m ? Number(m[1]) : undefined;
}

/**
 * The HTTP layer of every Api the bot creates (the bot's, each dialog's): each message waits for
 * its slot before it goes on the wire. At this layer a dialog's replayed calls (answered from the
 * dialog's log, never sent) cost nothing, and auto-retry's second attempt waits like a first.
 */
export function budgetedFetch(budget: SendBudget, base: typeof fetch = fetch): typeof fetch {
  const wrapped = async (url: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const method = String(url).slice(String(url).lastIndexOf('/') + 1);
    if (!MESSAGE_METHODS.has(method)) return base(url, init);
    const chatId = chatOf(init?.body);
    await budget.acquire(chatId, (init?.signal ?? undefined) as AbortSignal | undefined);
    const res = await base(url, init);
    if (res.status === 429) {
      const answer = (await res
        .clone()
        .json()
        .catch(() => undefined)) as { parameters?: { retry_after?: number } } | undefined;
      budget.backOff(chatId, answer?.parameters?.retry_after ?? 1);
    }
    return res;
  };
  return wrapped as typeof fetch;
}
