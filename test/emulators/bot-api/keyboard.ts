/** reply_markup checks with Telegram's error texts, and the button grid a test reads. */
import { badRequest } from './api-error.ts';
import type { ButtonView } from './types.ts';

/** bytes (UTF-8), Telegram's limit for callback_data */
export const MAX_CALLBACK_DATA_BYTES = 64;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Accepts the object or its JSON string (form uploads); returns the normalised markup or undefined when absent. */
export function readReplyMarkup(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let markup: unknown = value;
  if (typeof value === 'string') {
    try {
      markup = JSON.parse(value);
    } catch {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
  }
  if (!isRecord(markup)) throw badRequest('object expected as reply markup');
  if ('inline_keyboard' in markup) validateInlineKeyboard(markup['inline_keyboard']);
  else if ('keyboard' in markup) {
    if (!Array.isArray(markup['keyboard']) || !markup['keyboard'].every(Array.isArray)) {
      throw badRequest('field "keyboard" of the ReplyKeyboardMarkup must be an Array');
    }
  } else if (!('remove_keyboard' in markup) && !('force_reply' in markup)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  return markup;
}

function validateInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  let count = 0;
  for (const row of rows) {
    if (!Array.isArray(row)) throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    for (const button of row) {
      count += 1;
      if (!isRecord(button) || typeof button['text'] !== 'string') {
        throw badRequest("can't parse inline keyboard button: Field \"text\" must be of type String");
      }
      if (button['text'].trim() === '') throw badRequest('BUTTON_TEXT_EMPTY');
      const data = button['callback_data'];
      if (data !== undefined) {
        if (typeof data !== 'string') throw badRequest("can't parse inline keyboard button: Field \"callback_data\" must be of type String");
        const bytes = Buffer.byteLength(data, 'utf8');
        if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest('BUTTON_DATA_INVALID');
        continue;
      }
      const url = button['url'];
      if (url !== undefined) {
        if (typeof url !== 'string' || !/^(https?|tg):\/\/\S+$/.test(url)) throw badRequest('BUTTON_URL_INVALID');
        continue;
      }
      const otherActions = ['web_app', 'login_url', 'switch_inline_query', 'switch_inline_query_current_chat', 'copy_text', 'pay'];
      if (!otherActions.some((k) => k in button)) {
        throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
      }
    }
  }
  if (count > 100) throw badRequest('reply markup is too long');
}

export function buttonRows(markup: Record<string, unknown> | undefined): ButtonView[][] {
  const rows = markup?.['inline_keyboard'] ?? markup?.['keyboard'];
  if (!Array.isArray(rows)) return [];
  return rows.map((row: unknown[]) =>
    row.map((b) => {
      if (typeof b === 'string') return { text: b };
      const r = b as Record<string, unknown>;
      const view: ButtonView = { text: String(r['text']) };
      if (typeof r['callback_data'] === 'string') view.callback_data = r['callback_data'];
      if (typeof r['url'] === 'string') view.url = r['url'];
      return view;
    }),
  );
}

/** Markup equality as Telegram's "message is not modified" check sees it (no keyboard == empty keyboard). */
export function sameMarkup(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  return JSON.stringify(buttonRows(a)) === JSON.stringify(buttonRows(b));
}
