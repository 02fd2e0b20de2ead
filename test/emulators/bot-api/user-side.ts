/**
 * The user's phone: typing text and commands, pressing inline buttons, and watching the chat for
 * the bot's next message. Every action becomes an update the bot fetches with getUpdates (or the
 * emulator posts to the webhook, when one is set).
 */
import type { Dispatcher } from './dispatcher.ts';
import { commandEntities } from './formatting.ts';
import type { Chat, Store, StoredMessage } from './store.ts';
import type { AnswerCallbackQueryParams, CallbackHandle, CallRecord, MessageEvent, MessagePredicate, MessageView, TgUser } from './types.ts';

export interface UserMessage {
  chat_id: number;
  message_id: number;
  update_id: number;
}

export class UserSide {
  private callbackSeq = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    private readonly answerTimeoutMs: number,
  ) {}

  sendText(user: TgUser, text: string, opts: { reply_to_message_id?: number } = {}): UserMessage {
    if (text === '') throw new Error('sendText: a Telegram client cannot send an empty message');
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) {
      throw new Error('sendText: a Telegram client sends UTF-8 only (this text has half an emoji, a lone surrogate)');
    }
    const chat = this.store.ensureChat(user);
    chat.user = { ...user };
    chat.blocked = false;
    const m = this.store.addMessage(chat, {
      from: 'user',
      kind: 'text',
      text,
      raw_text: text,
      parse_mode: undefined,
      entities: commandEntities(text),
      reply_markup: undefined,
      photo: undefined,
      reply_to: opts.reply_to_message_id,
    });
    const update = this.store.enqueue({ message: this.store.telegramMessage(m) });
    return { chat_id: chat.user.id, message_id: m.message_id, update_id: update.update_id };
  }

  /** the user forwards a channel's post (text, no command entities) into the bot's chat */
  forwardPost(user: TgUser, text: string, channel: { id: number; title: string; username?: string }): UserMessage {
    if (text === '') throw new Error('forwardPost: a channel post has text');
    const chat = this.store.ensureChat(user);
    chat.user = { ...user };
    chat.blocked = false;
    const m = this.store.addMessage(chat, {
      from: 'user',
      kind: 'text',
      text,
      raw_text: text,
      parse_mode: undefined,
      entities: [],
      reply_markup: undefined,
      photo: undefined,
      reply_to: undefined,
      forwarded_from: { ...channel },
    });
    const update = this.store.enqueue({ message: this.store.telegramMessage(m) });
    return { chat_id: chat.user.id, message_id: m.message_id, update_id: update.update_id };
  }

  sendCommand(user: TgUser, command: string, args?: string): UserMessage {
    const name = command.startsWith('/') ? command : `/${command}`;
    return this.sendText(user, args ? `${name} ${args}` : name);
  }

  /**
   * Presses a button the message shows now. Unless `force`, pressing a button that is not on the
   * message (or a deleted message) throws: a real client cannot do it.
   */
  pressButton(user: TgUser, messageId: number, callbackData: string, opts: { force?: boolean } = {}): CallbackHandle {
    const chat = this.store.chats.get(user.id);
    const m = chat?.messages.get(messageId);
    if (!chat || !m) throw new Error(`pressButton: chat ${user.id} has no message #${messageId}\n${this.describeChat(user.id)}`);
    if (!opts.force) {
      const shown = this.store.view(m).buttons.flat();
      if (m.deleted) throw new Error(`pressButton: message #${messageId} was deleted\n${this.describeChat(user.id)}`);
      if (!shown.some((b) => b.callback_data === callbackData)) {
        throw new Error(`pressButton: message #${messageId} shows no button with callback_data "${callbackData}"\n${this.describeChat(user.id)}`);
      }
    }
    return this.press(chat, user, m, callbackData);
  }

  /** Presses the first button whose label matches (exact text or regex). */
  pressButtonLabeled(user: TgUser, messageId: number, label: string | RegExp): CallbackHandle {
    const m = this.store.chats.get(user.id)?.messages.get(messageId);
    const button = m && this.store.view(m).buttons.flat().find((b) => (typeof label === 'string' ? b.text === label : label.test(b.text)));
    if (!button?.callback_data) throw new Error(`pressButtonLabeled: message #${messageId} shows no callback button labelled ${String(label)}\n${this.describeChat(user.id)}`);
    return this.pressButton(user, messageId, button.callback_data);
  }

  private press(chat: Chat, user: TgUser, m: StoredMessage, data: string): CallbackHandle {
    const id = `${user.id}${String(++this.callbackSeq).padStart(6, '0')}`;
    const answer = new Promise<AnswerCallbackQueryParams>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.dispatcher.callbackQueries.delete(id);
        reject(new Error(`callback query ${id} (data "${data}" on message #${m.message_id}) was not answered within ${this.answerTimeoutMs} ms`));
      }, this.answerTimeoutMs);
      this.timers.add(timer);
      this.dispatcher.callbackQueries.set(id, {
        pressedAt: this.store.now(),
        resolve: (params) => {
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve(params);
        },
      });
    });
    // a test that never looks at .answer must not see an unhandled rejection
    answer.catch(() => undefined);
    this.store.userActed(chat);
    const update = this.store.enqueue({
      callback_query: {
        id,
        from: { ...user, is_bot: false },
        // a deleted message reaches the bot as Telegram's InaccessibleMessage (date 0)
        message: m.deleted ? { chat: { id: chat.user.id, type: 'private', first_name: chat.user.first_name }, message_id: m.message_id, date: 0 } : this.store.telegramMessage(m),
        chat_instance: String(-user.id),
        data,
      },
    });
    return { callback_query_id: id, update_id: update.update_id, answer };
  }

  /**
   * The earliest bot message event (new message or edit) in the chat since the user's last action
   * there that matches and that no earlier waitForMessage returned. Waiting for several messages
   * therefore works in any order, and an edit counts as its own event.
   */
  waitForMessage(chatId: number, predicate?: MessagePredicate, timeoutMs = 5000): Promise<MessageEvent> {
    const matches = toMatcher(predicate);
    return this.waitUntil(
      () => {
        const chat = this.store.chats.get(chatId);
        const event = chat?.events.find((e) => e.seq > chat.cursor && !chat.consumed.has(e.seq) && matches(e.snapshot));
        if (!chat || !event) return undefined;
        chat.consumed.add(event.seq);
        return { ...event.snapshot, event: event.kind };
      },
      timeoutMs,
      () => `waitForMessage(chat ${chatId}, ${describePredicate(predicate)}): no new bot message matched within ${timeoutMs} ms\n${this.describeChat(chatId)}`,
    );
  }

  /** The first logged call of `method` (from the start of the log, pending ones included) that matches. */
  waitForCall(method: string, predicate: (call: CallRecord) => boolean = () => true, timeoutMs = 5000): Promise<CallRecord> {
    const key = method.toLowerCase();
    return this.waitUntil(
      () => this.dispatcher.log.find((c) => c.method.toLowerCase() === key && predicate(c)),
      timeoutMs,
      () => {
        const seen = this.dispatcher.log.slice(-15).map((c) => `  ${c.method} → ${c.pending ? 'pending' : c.status}${c.description ? ` ${c.description}` : ''}`);
        return `waitForCall(${method}): no matching call within ${timeoutMs} ms. Last calls:\n${seen.join('\n') || '  (none)'}`;
      },
    );
  }

  /** Resolves with the first non-undefined `find()`, re-checked on every change; rejects on timeout or close. */
  private waitUntil<T>(find: () => T | undefined, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const found = find();
      if (found !== undefined) return resolve(found);
      const finish = (error?: Error, value?: T) => {
        off();
        clearTimeout(timer);
        this.waiters.delete(cancel);
        if (error) reject(error);
        else resolve(value as T);
      };
      const off = this.store.onChange(() => {
        const hit = find();
        if (hit !== undefined) finish(undefined, hit);
      });
      const timer = setTimeout(() => finish(new Error(timeoutMessage())), timeoutMs);
      const cancel = () => finish(new Error(`the emulator was closed while waiting: ${timeoutMessage()}`));
      this.waiters.add(cancel);
    });
  }

  messages(chatId: number): MessageView[] {
    const chat = this.store.chats.get(chatId);
    return chat ? [...chat.messages.values()].map((m) => this.store.view(m)) : [];
  }

  deletedMessageIds(chatId: number): number[] {
    return this.messages(chatId).filter((m) => m.deleted).map((m) => m.message_id);
  }

  /** Recent history and failed bot calls for one chat: what a failing test needs to see. */
  describeChat(chatId: number, last = 10): string {
    const chat = this.store.chats.get(chatId);
    if (!chat) return `Chat ${chatId} does not exist (the user never wrote and was not registered).`;
    const lines = this.messages(chatId).slice(-last).map((m) => {
      const buttons = m.buttons.flat().map((b) => `${b.text} → ${b.callback_data ?? b.url ?? ''}`);
      const flags = [m.deleted ? 'deleted' : '', m.edit_count > 0 ? `edited ${m.edit_count}×` : '', m.photo ? `photo ${m.photo.size ?? '?'} B` : '']
        .filter(Boolean)
        .join(', ');
      return `  #${m.message_id} ${m.from}${flags ? ` (${flags})` : ''}: ${JSON.stringify(m.text.slice(0, 300))}${buttons.length ? ` [${buttons.join(' | ')}]` : ''}`;
    });
    const failed = this.dispatcher.log
      .filter((c) => !c.ok && (String(c.params['chat_id']) === String(chatId) || c.params['chat_id'] === undefined) && c.method.toLowerCase() !== 'getupdates')
      .slice(-5)
      .map((c) => `  ${c.method} → ${c.error_code ?? c.status} ${c.description ?? ''}`);
    return [
      `Chat ${chatId}, last ${lines.length} messages (oldest first):`,
      ...(lines.length ? lines : ['  (none)']),
      ...(failed.length ? ['Failed bot calls:', ...failed] : []),
      `Updates queued but not yet confirmed by the bot: ${this.store.pendingUpdates()}`,
    ].join('\n');
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const cancel of [...this.waiters]) cancel();
  }
}

function toMatcher(predicate: MessagePredicate | undefined): (m: MessageView) => boolean {
  if (predicate === undefined) return () => true;
  if (typeof predicate === 'function') return predicate;
  if (typeof predicate === 'string') return (m) => m.text.includes(predicate);
  return (m) => {
    predicate.lastIndex = 0;
    return predicate.test(m.text);
  };
}

function describePredicate(predicate: MessagePredicate | undefined): string {
  if (predicate === undefined) return 'any message';
  if (typeof predicate === 'function') return 'predicate function';
  return typeof predicate === 'string' ? JSON.stringify(predicate) : String(predicate);
}
