/**
 * The emulator's state: private chats with their message history (one message-id sequence per chat,
 * shared by the user and the bot), the update queue with Telegram's offset semantics, and change
 * notifications for long polls and test waiters.
 */
import { TG } from './api-error.ts';
import type { Entity } from './formatting.ts';
import { buttonRows } from './keyboard.ts';
import type { BotInfo, MessageView, PhotoView, TgUser } from './types.ts';

export interface StoredMessage {
  message_id: number;
  chat_id: number;
  from: 'bot' | 'user';
  /** seconds since the epoch */
  date: number;
  kind: 'text' | 'photo';
  text: string;
  raw_text: string;
  parse_mode: string | undefined;
  entities: Entity[];
  reply_markup: Record<string, unknown> | undefined;
  photo: PhotoView | undefined;
  /** the message this one answers (Telegram's reply_to_message) */
  reply_to: number | undefined;
  deleted: boolean;
  edit_count: number;
  /** seconds since the epoch */
  edit_date: number | undefined;
  previous_texts: string[];
  /** a forwarded channel post: the channel it came from (Telegram's forward_origin of type channel) */
  forwarded_from?: { id: number; title: string; username?: string } | undefined;
}

export interface BotEvent {
  /** global order over all chats */
  seq: number;
  kind: 'sent' | 'edited';
  message_id: number;
  /** the message as it was right after this event */
  snapshot: MessageView;
}

export interface Chat {
  user: TgUser;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  blocked: boolean;
  events: BotEvent[];
  /** waitForMessage only looks at bot events after this seq (the user's last action) */
  cursor: number;
  /** events already returned by waitForMessage since then */
  consumed: Set<number>;
}

export interface Update {
  update_id: number;
  [kind: string]: unknown;
}

export class Store {
  readonly chats = new Map<number, Chat>();
  private updates: Update[] = [];
  private nextUpdateId = 10_001;
  private eventSeq = 0;
  private readonly changeListeners = new Set<() => void>();

  constructor(
    readonly botInfo: BotInfo,
    readonly now: () => number,
  ) {}

  ensureChat(user: TgUser): Chat {
    let chat = this.chats.get(user.id);
    if (!chat) {
      chat = { user: { ...user }, nextMessageId: 1, messages: new Map(), blocked: false, events: [], cursor: 0, consumed: new Set() };
      this.chats.set(user.id, chat);
    }
    return chat;
  }

  /** The bot may only write to chats that exist (the user wrote first or the test registered them). */
  chatFor(chatId: number): Chat {
    const chat = this.chats.get(chatId);
    if (!chat) throw TG.chatNotFound();
    return chat;
  }

  addMessage(chat: Chat, fields: Omit<StoredMessage, 'message_id' | 'chat_id' | 'date' | 'deleted' | 'edit_count' | 'edit_date' | 'previous_texts'>): StoredMessage {
    const message: StoredMessage = {
      ...fields,
      message_id: chat.nextMessageId++,
      chat_id: chat.user.id,
      date: Math.floor(this.now() / 1000),
      deleted: false,
      edit_count: 0,
      edit_date: undefined,
      previous_texts: [],
    };
    chat.messages.set(message.message_id, message);
    if (message.from === 'bot') this.botEvent(chat, 'sent', message);
    else this.userActed(chat);
    return message;
  }

  botEvent(chat: Chat, kind: BotEvent['kind'], message: StoredMessage): void {
    chat.events.push({ seq: ++this.eventSeq, kind, message_id: message.message_id, snapshot: this.view(message) });
    this.changed();
  }

  /** Marks the user's latest action in the chat: waitForMessage looks for bot output after it. */
  userActed(chat: Chat): void {
    chat.cursor = this.eventSeq;
    chat.consumed.clear();
  }

  enqueue(body: Record<string, unknown>): Update {
    const update: Update = { update_id: this.nextUpdateId++, ...body };
    this.updates.push(update);
    this.changed();
    return update;
  }

  /**
   * getUpdates' offset semantics: a positive offset confirms (drops) every update below it; a negative
   * offset returns the last |offset| updates and forgets the older ones.
   */
  takeUpdates(offset: number | undefined, limit: number): Update[] {
    if (offset !== undefined && offset < 0) {
      this.updates = this.updates.slice(Math.max(0, this.updates.length + offset));
    } else if (offset !== undefined && offset > 0) {
      this.updates = this.updates.filter((u) => u.update_id >= offset);
    }
    return this.updates.slice(0, limit);
  }

  /** A webhook delivery was answered 2xx: that update is done (others stay, in order). */
  confirm(updateId: number): void {
    this.updates = this.updates.filter((u) => u.update_id !== updateId);
  }

  pendingUpdates(): number {
    return this.updates.length;
  }

  /** Called on anything a waiter may care about: an update queued, a bot message, a call logged. */
  changed(): void {
    for (const listener of [...this.changeListeners]) listener();
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  userOf(message: StoredMessage): Record<string, unknown> {
    if (message.from === 'bot') {
      return { id: this.botInfo.id, is_bot: true, first_name: this.botInfo.first_name, username: this.botInfo.username };
    }
    return { ...this.chatFor(message.chat_id).user, is_bot: false };
  }

  /** The Message object the Bot API returns and puts in updates. */
  telegramMessage(message: StoredMessage, nested = false): Record<string, unknown> {
    const user = this.chatFor(message.chat_id).user;
    const out: Record<string, unknown> = {
      message_id: message.message_id,
      from: this.userOf(message),
      chat: {
        id: user.id,
        type: 'private',
        first_name: user.first_name,
        ...(user.last_name ? { last_name: user.last_name } : {}),
        ...(user.username ? { username: user.username } : {}),
      },
      date: message.date,
    };
    if (message.edit_date !== undefined) out['edit_date'] = message.edit_date;
    if (message.kind === 'photo') {
      const p = message.photo!;
      out['photo'] = [
        { file_id: p.file_id, file_unique_id: `u${p.file_id}`, width: p.width ?? 1280, height: p.height ?? 720, file_size: p.size },
      ];
      if (message.text !== '') out['caption'] = message.text;
      if (message.entities.length > 0) out['caption_entities'] = message.entities;
    } else {
      out['text'] = message.text;
      if (message.entities.length > 0) out['entities'] = message.entities;
    }
    if (message.reply_markup && 'inline_keyboard' in message.reply_markup) out['reply_markup'] = message.reply_markup;
    if (message.forwarded_from) {
      const c = message.forwarded_from;
      out['forward_origin'] = { type: 'channel', chat: { id: c.id, type: 'channel', title: c.title, ...(c.username ? { username: c.username } : {}) }, message_id: 1, date: message.date };
    }
    const replied = message.reply_to === undefined ? undefined : this.chatFor(message.chat_id).messages.get(message.reply_to);
    if (replied && !nested) out['reply_to_message'] = this.telegramMessage(replied, true);
    return out;
  }

  view(message: StoredMessage): MessageView {
    return {
      message_id: message.message_id,
      chat_id: message.chat_id,
      from: message.from,
      kind: message.kind,
      text: message.text,
      raw_text: message.raw_text,
      parse_mode: message.parse_mode,
      buttons: buttonRows(message.reply_markup),
      reply_markup: message.reply_markup,
      photo: message.photo ? { ...message.photo } : undefined,
      reply_to_message_id: message.reply_to,
      deleted: message.deleted,
      edit_count: message.edit_count,
      date: message.date,
      previous_texts: [...message.previous_texts],
    };
  }
}
