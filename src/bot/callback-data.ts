/**
 * Every inline button's data, declared once (callback-data package: pack / filter / unpack).
 * Telegram allows 64 bytes; a position id is a 36-char uuid, so keys and actions stay short.
 */
import { createCallbackData } from 'callback-data';

/**
 * Position controls. a: close | half | be | adj | ref.
 * n: a nonce, new each time the keyboard is drawn: 'a…' under an alert, 'v…' under a /positions view.
 * A (message, data) pair acts once; a redrawn keyboard carries a fresh nonce.
 */
export const positionData = createCallbackData('p', { a: String, id: String, n: String });
export type PositionAction = 'close' | 'half' | 'be' | 'adj' | 'ref';

/** Settings menu. a: menu | edit | toggle | mode | setmode | apply | notify | level; k: a setting or event key */
export const settingsData = createCallbackData('s', { a: String, k: String });

/** Accounts. a: rm | yes | no | on | off */
export const accountsData = createCallbackData('acc', { a: String, id: String });

/** Choices inside the connect dialog. step: ex | mode | mm (margin mode); v: the value */
export const connectData = createCallbackData('c', { step: String, v: String });

/** Choices inside the adjust dialog. which: sl | tp | done */
export const adjustData = createCallbackData('adj', { which: String });

/** "Leave this dialog" button, same as /cancel. */
export const CANCEL_DATA = 'cancel';
