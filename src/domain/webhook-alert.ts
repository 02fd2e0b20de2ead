/**
 * A webhook alert (SPEC §9) read from its body: JSON with TradingView / 3Commas-style keys, or
 * KEY=VALUE lines. Pure: the caller gives the body text and the receipt time. A bad field is
 * named in the result (`field`), never thrown; keys we do not use are listed, never echoed.
 */

export type AlertAction = 'BUY' | 'SELL' | 'CLOSE';

export interface WebhookAlert {
  /** unified pair, BASE/QUOTE (an account in futures mode trades its perpetual) */
  symbol: string;
  action: AlertAction;
  /** 0..1, default 1 */
  confidence: number;
  /** quote per base */
  stopLoss: number | null;
  /** the last target (quote per base); null when none was given */
  takeProfit: number | null;
  /** every target in the order given (a list, or one) */
  targets: number[];
  /** ms since epoch of the alert as the sender stamped it; null when it carried none */
  sentAt: number | null;
  /** seconds an alert may be old when it arrives (and when it is executed) */
  maxLagSec: number;
  /** the price the sender saw (trigger_price / price / close), when given */
  price: number | null;
  format: 'json' | 'text';
  /** keys of the body we did not use (names only: a 3Commas body carries a secret) */
  ignored: string[];
}

export type AlertParse =
  | { ok: true; alert: WebhookAlert }
  /** `status` 400: a field is missing or wrong; 422: the alert is older than max_lag */
  | { ok: false; status: 400 | 422; field: string; error: string };

export const DEFAULT_MAX_LAG_SEC = 300;
/** an alert stamped further in the future than this is refused (clock skew allowance), ms */
export const ALERT_FUTURE_SKEW_MS = 60_000;
/** quotes recognised at the end of a pair written without a separator (longest first) */
const QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'DAI', 'USD', 'EUR', 'GBP', 'TRY', 'BTC', 'ETH', 'BNB'];

const ACTIONS: Record<string, AlertAction> = {
  buy: 'BUY',
  long: 'BUY',
  enter_long: 'BUY',
  sell: 'SELL',
  short: 'SELL',
  enter_short: 'SELL',
  close: 'CLOSE',
  exit: 'CLOSE',
  exit_long: 'CLOSE',
  exit_short: 'CLOSE',
  close_at_market_price: 'CLOSE',
};

/** body key (lower case) → the field it fills; first listed wins when several are present */
const KEYS: Record<string, string[]> = {
  action: ['action', 'signal', 'side', 'order_action'],
  symbol: ['symbol', 'ticker', 'tv_instrument', 'pair', 'instrument'],
  stop_loss: ['stop_loss', 'stoploss', 'sl', 'stop_price', 'stop'],
  take_profit: ['take_profit', 'takeprofit', 'tp', 'take_profit_price', 'targets'],
  confidence: ['confidence'],
  timestamp: ['timestamp', 'time', 'timenow'],
  max_lag: ['max_lag'],
  price: ['trigger_price', 'price', 'close'],
};
/** keys read for context only, so they are not reported as ignored */
const CONTEXT_KEYS = new Set(['tv_exchange', 'exchange']);

type Fields = Record<string, unknown>;

export function parseWebhookAlert(body: string, now: number): AlertParse {
  const text = body.trim();
  if (text === '') return bad('body', 'the body is empty: send JSON like {"action":"buy","symbol":"BTCUSDT"} or SYMBOL=/SIGNAL= lines');
  let fields: Fields;
  let format: 'json' | 'text';
  if (text.startsWith('{') || text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return bad('body', `the body is not valid JSON (${(e as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad('body', 'the JSON body must be an object like {"action":"buy","symbol":"BTCUSDT"}');
    fields = lowerKeys(parsed as Fields);
    format = 'json';
  } else {
    const lines = parseKeyValueLines(text);
    if (!lines.ok) return lines;
    fields = lines.fields;
    format = 'text';
  }
  return readFields(fields, format, now);
}

function readFields(fields: Fields, format: 'json' | 'text', now: number): AlertParse {
  const used = new Set<string>();
  const pick = (name: string): { key: string; value: unknown } | undefined => {
    for (const key of KEYS[name] ?? []) {
      if (fields[key] !== undefined && fields[key] !== null && fields[key] !== '') {
        for (const k of KEYS[name]!) if (k in fields) used.add(k);
        return { key, value: fields[key] };
      }
    }
    return undefined;
  };

  const action = pick('action');
  if (!action) return bad('action', 'action is missing: one of buy, sell, long, short, close');
  const actionText = typeof action.value === 'string' ? action.value.trim().toLowerCase() : '';
  const mapped = ACTIONS[actionText];
  if (!mapped) return bad(action.key, `${action.key} "${clip(action.value)}" is not one of buy, sell, long, short, close`);

  const symbolField = pick('symbol');
  if (!symbolField) return bad('symbol', 'symbol is missing: give symbol, ticker or tv_instrument, like BTCUSDT or BTC/USDT');
  const symbol = normalizeSymbol(symbolField.value, symbolField.key);
  if (symbol === null) return bad(symbolField.key, `${symbolField.key} "${clip(symbolField.value)}" is not a pair like BTCUSDT, BTC/USDT, BINANCE:BTCUSDT or BTCUSDT.P`);

  let stopLoss: number | null = null;
  const sl = pick('stop_loss');
  if (sl) {
    const n = price(sl.value);
    if (n === null) return bad(sl.key, `${sl.key} "${clip(sl.value)}" is not a positive price`);
    stopLoss = n;
  }

  const targets: number[] = [];
  const tp = pick('take_profit');
  if (tp) {
    const list = Array.isArray(tp.value) ? tp.value : typeof tp.value === 'string' && /[,;\s]/.test(tp.value.trim()) ? tp.value.trim().split(/[\s,;]+/) : [tp.value];
    for (const item of list) {
      const n = price(item);
      if (n === null) return bad(tp.key, `${tp.key} "${clip(item)}" is not a positive price (a number, or a list of numbers)`);
      targets.push(n);
    }
    if (targets.length === 0) return bad(tp.key, `${tp.key} is an empty list`);
  }

  let confidence = 1;
  const conf = pick('confidence');
  if (conf) {
    const n = number(conf.value);
    if (n === null || n < 0 || n > 1) return bad('confidence', `confidence "${clip(conf.value)}" is not a number from 0 to 1`);
    confidence = n;
  }

  let maxLagSec = DEFAULT_MAX_LAG_SEC;
  const lag = pick('max_lag');
  if (lag) {
    const n = number(lag.value);
    if (n === null || n <= 0) return bad('max_lag', `max_lag "${clip(lag.value)}" is not a positive number of seconds`);
    maxLagSec = n;
  }

  let sentAt: number | null = null;
  const ts = pick('timestamp');
  if (ts) {
    sentAt = parseTime(ts.value);
    if (sentAt === null) return bad(ts.key, `${ts.key} "${clip(ts.value)}" is not a time (ISO 8601 like 2026-12-01T12:00:00Z, or seconds or ms since 1970)`);
    if (sentAt - now > ALERT_FUTURE_SKEW_MS) return bad(ts.key, `${ts.key} is ${Math.round((sentAt - now) / 1000)} s in the future: check the sender's clock`);
    const ageSec = (now - sentAt) / 1000;
    if (ageSec > maxLagSec) return { ok: false, status: 422, field: ts.key, error: `the alert is ${Math.round(ageSec)} s old, more than max_lag ${maxLagSec} s` };
  }

  let alertPrice: number | null = null;
  const p = pick('price');
  if (p) alertPrice = price(p.value);

  const ignored = Object.keys(fields).filter((k) => !used.has(k) && !CONTEXT_KEYS.has(k));
  return {
    ok: true,
    alert: {
      symbol,
      action: mapped,
      confidence,
      stopLoss,
      takeProfit: targets.length > 0 ? targets[targets.length - 1]! : null,
      targets,
      sentAt,
      maxLagSec,
      price: alertPrice,
      format,
      ignored,
    },
  };
}

/**
 * BTCUSDT, BTC/USDT, BTC-USDT, BINANCE:BTCUSDT, BTCUSDT.P (a TradingView perpetual), BTC/USDT:USDT,
 * and 3Commas' QUOTE_BASE (`USDT_BTC`, pair key only) → BTC/USDT; null when no quote is recognised.
 */
export function normalizeSymbol(value: unknown, key = 'symbol'): string | null {
  if (typeof value !== 'string') return null;
  let s = value.trim().toUpperCase();
  const colon = s.indexOf(':');
  // an exchange prefix (BINANCE:BTCUSDT) — but not a settle suffix (BTC/USDT:USDT)
  if (colon >= 0 && !s.slice(0, colon).includes('/')) s = s.slice(colon + 1);
  s = s.split(':')[0]!.replace(/\.P$|PERP$/, '').replace(/^\$|^#/, '');
  let base: string | undefined;
  let quote: string | undefined;
  const sep = /[/\-_]/.exec(s);
  if (sep) {
    [base, quote] = [s.slice(0, sep.index), s.slice(sep.index + 1)];
    // 3Commas writes its pairs quote first (USDT_BTC, BTC_ETH): the stronger quote currency goes second
    if (key === 'pair' && sep[0] === '_' && quoteRank(base) > quoteRank(quote)) [base, quote] = [quote, base];
  } else {
    quote = QUOTES.find((q) => s.endsWith(q) && s.length > q.length);
    base = quote ? s.slice(0, -quote.length) : undefined;
  }
  if (!base || !quote || !/^[A-Z0-9]{1,20}$/.test(base) || !/^[A-Z0-9]{1,20}$/.test(quote)) return null;
  return `${base}/${quote}`;
}

/** how likely a currency is the quote of a pair: fiat and stablecoins, then BTC, then ETH/BNB */
function quoteRank(currency: string): number {
  if (currency === 'BTC') return 2;
  if (currency === 'ETH' || currency === 'BNB') return 1;
  return QUOTES.includes(currency) ? 3 : 0;
}

function parseKeyValueLines(text: string): { ok: true; fields: Fields } | (AlertParse & { ok: false }) {
  const fields: Fields = {};
  for (const [i, raw] of text.split(/\r?\n|;/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return bad('body', `line ${i + 1} is not KEY=VALUE (like SYMBOL=BTCUSDT or SIGNAL=BUY)`);
    fields[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return { ok: true, fields };
}

function lowerKeys(o: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}

function number(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

function price(v: unknown): number | null {
  const n = number(v);
  return n !== null && n > 0 ? n : null;
}

/** ISO 8601, or a number: seconds since epoch below 1e11 (TradingView's {{time}} is ms), else ms */
function parseTime(v: unknown): number | null {
  const n = number(v);
  if (n !== null) return n > 0 ? (n < 1e11 ? n * 1000 : n) : null;
  if (typeof v !== 'string') return null;
  const t = Date.parse(v.trim());
  return Number.isFinite(t) ? t : null;
}

function bad(field: string, error: string): AlertParse & { ok: false } {
  return { ok: false, status: 400, field, error };
}

/** a value as it may appear in an error: short, one line */
function clip(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const line = s.replace(/\s+/g, ' ');
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
