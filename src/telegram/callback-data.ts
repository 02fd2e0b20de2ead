/**
 * Every inline button's data, declared once (callback-data package: pack / filter / unpack).
 * Telegram allows 64 bytes; a position id is a 36-char uuid, so keys and actions stay short.
 */
import { createCallbackData } from 'callback-data';

/**
 * Position controls. a: close | half | be | adj | ref; card (under the /positions table: opens the position's card).
 * n: a nonce, new each time the keyboard is drawn: 'a…' under an alert, 'v…' under a /positions view.
 * A (message, data) pair acts once; a redrawn keyboard carries a fresh nonce.
 */
export const positionData = createCallbackData('p', { a: String, id: String, n: String });
export type PositionAction = 'close' | 'half' | 'be' | 'adj' | 'ref' | 'card';

/** Settings menu. a: menu | edit | toggle | mode | setmode | apply | notify | level; k: a setting or event key */
export const settingsData = createCallbackData('s', { a: String, k: String });

/** Accounts. a: rm | yes | no | on | off */
export const accountsData = createCallbackData('acc', { a: String, id: String });

/** Choices inside the connect dialog. step: ex | mode | mm (margin mode); v: the value */
export const connectData = createCallbackData('c', { step: String, v: String });

/** Choices inside the adjust dialog. which: sl | tp | done */
export const adjustData = createCallbackData('adj', { which: String });

/** A post's or /signal's preview. a: t (Trade) | i (Ignore); id: the preview (signal input) id */
export const previewData = createCallbackData('sig', { a: String, id: String });

/** A preview button's data, checked in shape; undefined: expired or forged. */
export function readPreviewData(data: string): { a: 't' | 'i'; id: string } | undefined {
  const d = unpacked(() => previewData.unpack(data));
  if (!d || (d.a !== 't' && d.a !== 'i') || !isUuid(d.id)) return undefined;
  return { a: d.a, id: d.id };
}

/** "Leave this dialog" button, same as /cancel. */
export const CANCEL_DATA = 'cancel';

/** What a pressed button that this bot did not draw (or no longer understands) answers. */
export const EXPIRED = 'This button has expired.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ids are uuids (positions, accounts): anything else never reaches a lookup */
export const isUuid = (s: string): boolean => UUID.test(s);

const POSITION_ACTIONS: ReadonlySet<string> = new Set<PositionAction>(['close', 'half', 'be', 'adj', 'ref', 'card']);
/** 'a' (alert) or 'v' (view) and a short url-safe token: see positionData */
const NONCE = /^[av][A-Za-z0-9_-]{1,16}$/;

function unpacked<T>(unpack: () => T): T | undefined {
  try {
    return unpack();
  } catch {
    // wrong number of parts (a ':' inside a value): not data this bot drew
    return undefined;
  }
}

/** A position button's data, checked in shape before anything looks it up; undefined: expired or forged. */
export function readPositionData(data: string): { a: PositionAction; id: string; n: string } | undefined {
  const d = unpacked(() => positionData.unpack(data));
  if (!d || !POSITION_ACTIONS.has(d.a) || !isUuid(d.id) || !NONCE.test(d.n)) return undefined;
  return { a: d.a as PositionAction, id: d.id, n: d.n };
}

/** An accounts button's data, checked in shape; undefined: expired or forged. */
export function readAccountsData(data: string): { a: 'rm' | 'yes' | 'no' | 'on' | 'off'; id: string } | undefined {
  const d = unpacked(() => accountsData.unpack(data));
  if (!d || !['rm', 'yes', 'no', 'on', 'off'].includes(d.a) || !isUuid(d.id)) return undefined;
  return { a: d.a as 'rm' | 'yes' | 'no' | 'on' | 'off', id: d.id };
}

/** A settings button's data, checked in shape; undefined: expired or forged. */
export function readSettingsData(data: string): { a: string; k: string } | undefined {
  const d = unpacked(() => settingsData.unpack(data));
  return d && /^[a-z]{1,10}$/.test(d.a) && /^[a-z_]{0,40}$/.test(d.k) ? d : undefined;
}
