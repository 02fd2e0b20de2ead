/**
 * The Bot API methods that write to chats: sendMessage, sendPhoto, editMessageText,
 * editMessageReplyMarkup, deleteMessage, sendChatAction. Each validates like Telegram before it
 * changes anything, so a refused call leaves the chat as it was.
 */
import { badRequest, TG } from './api-error.ts';
import { parseFormatted, type Formatted } from './formatting.ts';
import type { UploadedFile } from './http-body.ts';
import { readReplyMarkup, sameMarkup } from './keyboard.ts';
import { optInt, optJson, optString, type Params } from './params.ts';
import type { Chat, Store, StoredMessage } from './store.ts';
import type { PhotoView } from './types.ts';

/** characters, after markup is removed */
export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;

const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice',
  'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

export interface MessagingDeps {
  store: Store;
  /** throws 429 when the rate limit refuses a message to this chat */
  admit: (method: string, chatId: number) => void;
}

export class Messaging {
  /** file_id → what was uploaded, so a re-sent file_id shows the same photo */
  private readonly files = new Map<string, PhotoView>();
  private fileSeq = 0;

  constructor(private readonly deps: MessagingDeps) {}

  targetChat(p: Params): Chat {
    const raw = p['chat_id'];
    if (raw === undefined || raw === null || raw === '') throw TG.chatIdEmpty();
    if (typeof raw === 'string' && !/^-?\d+$/.test(raw.trim())) throw TG.chatNotFound();
    const chat = this.deps.store.chatFor(optInt(p, 'chat_id')!);
    if (chat.blocked) throw TG.blocked();
    return chat;
  }

  private message(chat: Chat, p: Params, notFound: () => Error): StoredMessage {
    if (p['inline_message_id'] !== undefined) throw badRequest('inline messages are not supported by this emulator');
    const id = optInt(p, 'message_id');
    if (id === undefined) throw badRequest('message identifier is not specified');
    const m = chat.messages.get(id);
    if (!m || m.deleted) throw notFound();
    return m;
  }

  /** reply_parameters (or the older reply_to_message_id) must name a message still in the chat */
  private replyTo(chat: Chat, p: Params): number | undefined {
    const params = optJson(p, 'reply_parameters') as Params | undefined;
    const id = params ? optInt(params, 'message_id') : optInt(p, 'reply_to_message_id');
    if (id === undefined) return undefined;
    const target = chat.messages.get(id);
    if (target && !target.deleted) return id;
    const allow = params?.['allow_sending_without_reply'] ?? p['allow_sending_without_reply'];
    if (allow === true || allow === 'true') return undefined;
    throw badRequest('message to be replied not found');
  }

  private text(p: Params): Formatted {
    const raw = optString(p, 'text') ?? '';
    if (raw.trim() === '') throw TG.textEmpty();
    const f = parseFormatted(raw, optString(p, 'parse_mode'));
    if (f.text.trim() === '') throw TG.textEmpty();
    if (f.text.length > MAX_TEXT_LENGTH) throw TG.textTooLong();
    return f;
  }

  sendMessage(p: Params): unknown {
    const chat = this.targetChat(p);
    const f = this.text(p);
    const markup = readReplyMarkup(p['reply_markup']);
    const replyTo = this.replyTo(chat, p);
    this.deps.admit('sendMessage', chat.user.id);
    const m = this.deps.store.addMessage(chat, {
      from: 'bot',
      kind: 'text',
      text: f.text,
      raw_text: optString(p, 'text')!,
      parse_mode: optString(p, 'parse_mode'),
      entities: f.entities,
      reply_markup: markup,
      photo: undefined,
      reply_to: replyTo,
    });
    return this.deps.store.telegramMessage(m);
  }

  sendPhoto(p: Params, files: UploadedFile[]): unknown {
    const chat = this.targetChat(p);
    const photo = this.photo(p, files);
    const rawCaption = optString(p, 'caption') ?? '';
    const f = parseFormatted(rawCaption, optString(p, 'parse_mode'));
    if (f.text.length > MAX_CAPTION_LENGTH) throw TG.captionTooLong();
    const markup = readReplyMarkup(p['reply_markup']);
    const replyTo = this.replyTo(chat, p);
    this.deps.admit('sendPhoto', chat.user.id);
    this.files.set(photo.file_id, photo);
    const m = this.deps.store.addMessage(chat, {
      from: 'bot',
      kind: 'photo',
      text: f.text,
      raw_text: rawCaption,
      parse_mode: optString(p, 'parse_mode'),
      entities: f.entities,
      reply_markup: markup,
      photo,
      reply_to: replyTo,
    });
    return this.deps.store.telegramMessage(m);
  }

  private photo(p: Params, files: UploadedFile[]): PhotoView {
    const ref = optString(p, 'photo');
    const upload = ref?.startsWith('attach://')
      ? files.find((f) => f.field === ref.slice('attach://'.length))
      : ref === undefined
        ? files.find((f) => f.field === 'photo')
        : undefined;
    if (upload) {
      if (upload.data.length === 0) throw badRequest('file must be non-empty');
      const view: PhotoView = { file_id: `photo-${++this.fileSeq}`, size: upload.data.length };
      if (upload.filename !== undefined) view.filename = upload.filename;
      const png = pngSize(upload.data);
      if (png) Object.assign(view, png);
      return view;
    }
    if (ref === undefined || ref.startsWith('attach://')) throw badRequest('there is no photo in the request');
    if (/^https?:\/\//.test(ref)) return { file_id: `photo-${++this.fileSeq}`, size: undefined, url: ref };
    const known = this.files.get(ref);
    if (!known) throw badRequest('wrong file identifier/HTTP URL specified');
    return { ...known };
  }

  editMessageText(p: Params): unknown {
    const chat = this.targetChat(p);
    const m = this.message(chat, p, TG.editNotFound);
    if (m.from !== 'bot') throw TG.cantEdit();
    if (m.kind !== 'text') throw TG.noTextToEdit();
    const f = this.text(p);
    // like Telegram, an edit without reply_markup removes the inline keyboard
    const markup = readReplyMarkup(p['reply_markup']);
    const sameText = f.text === m.text && JSON.stringify(f.entities) === JSON.stringify(m.entities);
    if (sameText && sameMarkup(m.reply_markup, markup)) throw TG.notModified();
    this.deps.admit('editMessageText', chat.user.id);
    m.previous_texts.push(m.text);
    m.text = f.text;
    m.raw_text = optString(p, 'text')!;
    m.parse_mode = optString(p, 'parse_mode');
    m.entities = f.entities;
    m.reply_markup = markup;
    return this.edited(chat, m);
  }

  editMessageCaption(p: Params): unknown {
    const chat = this.targetChat(p);
    const m = this.message(chat, p, TG.editNotFound);
    if (m.from !== 'bot') throw TG.cantEdit();
    if (m.kind !== 'photo') throw badRequest('there is no caption in the message to edit');
    const raw = optString(p, 'caption') ?? '';
    const f = parseFormatted(raw, optString(p, 'parse_mode'));
    if (f.text.length > MAX_CAPTION_LENGTH) throw TG.captionTooLong();
    const markup = readReplyMarkup(p['reply_markup']);
    const sameText = f.text === m.text && JSON.stringify(f.entities) === JSON.stringify(m.entities);
    if (sameText && sameMarkup(m.reply_markup, markup)) throw TG.notModified();
    this.deps.admit('editMessageCaption', chat.user.id);
    m.previous_texts.push(m.text);
    m.text = f.text;
    m.raw_text = raw;
    m.parse_mode = optString(p, 'parse_mode');
    m.entities = f.entities;
    m.reply_markup = markup;
    return this.edited(chat, m);
  }

  editMessageReplyMarkup(p: Params): unknown {
    const chat = this.targetChat(p);
    const m = this.message(chat, p, TG.editNotFound);
    if (m.from !== 'bot') throw TG.cantEdit();
    const markup = readReplyMarkup(p['reply_markup']);
    if (sameMarkup(m.reply_markup, markup)) throw TG.notModified();
    this.deps.admit('editMessageReplyMarkup', chat.user.id);
    m.previous_texts.push(m.text);
    m.reply_markup = markup;
    return this.edited(chat, m);
  }

  private edited(chat: Chat, m: StoredMessage): unknown {
    m.edit_count += 1;
    m.edit_date = Math.floor(this.deps.store.now() / 1000);
    this.deps.store.botEvent(chat, 'edited', m);
    return this.deps.store.telegramMessage(m);
  }

  deleteMessage(p: Params): true {
    const chat = this.targetChat(p);
    const m = this.message(chat, p, TG.deleteNotFound);
    m.deleted = true;
    this.deps.store.changed();
    return true;
  }

  /** Deletes what it can of 1–100 ids; like Telegram, fails only when none of them could be deleted. */
  deleteMessages(p: Params): true {
    const chat = this.targetChat(p);
    const ids = optJson(p, 'message_ids');
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) throw badRequest('message_ids must be a non-empty array of at most 100 ids');
    let deleted = 0;
    for (const id of ids) {
      const m = typeof id === 'number' ? chat.messages.get(id) : undefined;
      if (m && !m.deleted) {
        m.deleted = true;
        deleted += 1;
      }
    }
    if (deleted === 0) throw TG.deleteNotFound();
    this.deps.store.changed();
    return true;
  }

  sendChatAction(p: Params): true {
    this.targetChat(p);
    if (!CHAT_ACTIONS.has(optString(p, 'action') ?? '')) throw badRequest('wrong parameter action in request');
    return true;
  }
}

/** pixels from a PNG's IHDR chunk, or undefined for anything else */
function pngSize(data: Buffer): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (data.length < 24 || !signature.every((b, i) => data[i] === b)) return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}
