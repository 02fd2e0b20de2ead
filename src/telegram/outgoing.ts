/**
 * The one gate every outgoing text passes (the bot's API, each dialog's API, the alert sender):
 * text and captions are made valid for Telegram and cut to its limits, callback answers too.
 * Composing code still escapes what it did not write (format/telegram-text.ts); this gate makes
 * sure a slip shows the markup literally, in full or cut, instead of Telegram refusing the message.
 */
import type { Transformer } from 'grammy';
import { fitHtml, fitPlain, wellFormed } from './format/telegram-text.ts';

/** Telegram's limits, UTF-16 units of the shown text */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const CALLBACK_ANSWER_LIMIT = 200;

const FIELDS: Record<string, { field: 'text' | 'caption'; limit: number; formatted: boolean }> = {
  sendMessage: { field: 'text', limit: TEXT_LIMIT, formatted: true },
  editMessageText: { field: 'text', limit: TEXT_LIMIT, formatted: true },
  sendPhoto: { field: 'caption', limit: CAPTION_LIMIT, formatted: true },
  sendDocument: { field: 'caption', limit: CAPTION_LIMIT, formatted: true },
  editMessageCaption: { field: 'caption', limit: CAPTION_LIMIT, formatted: true },
  answerCallbackQuery: { field: 'text', limit: CALLBACK_ANSWER_LIMIT, formatted: false },
};

export type Repaired = (method: string, what: string) => void;

/** The payload as Telegram will accept it; `repaired` hears of markup that had to be escaped. */
export function fitPayload<P>(method: string, payload: P, repaired?: Repaired): P {
  const spec = FIELDS[method];
  if (!spec || payload === null || typeof payload !== 'object') return payload;
  const p = payload as Record<string, unknown>;
  const value = p[spec.field];
  if (typeof value !== 'string') return withButtons(p) as P;
  const mode = typeof p['parse_mode'] === 'string' ? p['parse_mode'].toLowerCase() : '';
  let text: string;
  if (spec.formatted && mode === 'html') {
    const fitted = fitHtml(value, spec.limit);
    if (fitted.repaired?.startsWith('escaped')) repaired?.(method, 'markup Telegram would refuse was escaped');
    text = fitted.text;
  } else text = mode === '' || !spec.formatted ? fitPlain(value, spec.limit) : wellFormed(value);
  return withButtons({ ...p, [spec.field]: text }) as P;
}

/** button labels must be valid UTF-8 too */
function withButtons(p: Record<string, unknown>): Record<string, unknown> {
  const markup = p['reply_markup'] as { inline_keyboard?: Array<Array<{ text?: unknown }>> } | undefined;
  const rows = markup?.inline_keyboard;
  if (!Array.isArray(rows)) return p;
  const fixed = rows.map((row) => row.map((b) => (typeof b.text === 'string' ? { ...b, text: wellFormed(b.text) } : b)));
  return { ...p, reply_markup: { ...markup, inline_keyboard: fixed } };
}

export function outgoingGate(repaired?: Repaired): Transformer {
  return (prev, method, payload, signal) => prev(method, fitPayload(method, payload, repaired), signal);
}
