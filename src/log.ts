/**
 * JSON logs (pino). Secrets are removed at every depth of what is logged, errors included (cause
 * chains, nested `error` fields as grammY's HttpError keeps them, AggregateError lists): by key
 * (apiKey, secret, authorization …), by value (the bot token and SECRET_KEY are known at start),
 * and by shape (a bot token in a Bot API URL `/bot<token>/`, key and signature query parameters),
 * in messages and stacks as well as fields. pino's path redaction stays as a second net.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'secret',
  'apiSecret',
  'api_secret',
  'password',
  'passphrase',
  'token',
  'botToken',
  'privateKey',
  'SECRET_KEY',
  'secretKey',
  'TELEGRAM_BOT_TOKEN',
  'SUPABASE_KEY',
  'authorization',
  'Authorization',
  'cookie',
  'X-MBX-APIKEY',
  'x-mbx-apikey',
  'OK-ACCESS-KEY',
  'OK-ACCESS-PASSPHRASE',
  'ACCESS-KEY',
  'ACCESS-PASSPHRASE',
  'X-BAPI-API-KEY',
  'API-Key',
  'API-Sign',
];

/** `key`, `*.key`, `*.*.key`, `*.*.*.key` for every secret-bearing key (pino paths are explicit). */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith('[') ? '' : '.';
    paths.push(k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`);
  }
  return paths;
}

const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));
const CENSOR = '[REDACTED]';
/** how deep a logged value is walked; deeper is cut (errors nest a few levels at most) */
const MAX_DEPTH = 10;

/** Bot API URLs carry the token: https://api.telegram.org/bot123456:AA…/sendMessage */
const TOKEN_IN_URL = /\/bot\d+:[A-Za-z0-9_-]+/g;
/** a bare bot token (digits, ':', 30+ url-safe characters) */
const BARE_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{30,}/g;
/** credentials in query strings and form bodies (`a=1&secret=…`, `?signature=…`) */
const SECRET_PARAM = /((?:^|[?&\s])(?:signature|sign|api_?key|apikey|secret|passphrase|password|token|access_token)=)[^&\s"'#]+/gi;

export type Scrub = (text: string) => string;

export function createScrub(secrets: readonly string[]): Scrub {
  return (text) => {
    let out = secrets.reduce((acc, s) => acc.split(s).join(CENSOR), text);
    out = out.replace(TOKEN_IN_URL, `/bot${CENSOR}`).replace(BARE_TOKEN, CENSOR).replace(SECRET_PARAM, `$1${CENSOR}`);
    return out;
  };
}

/**
 * A copy of `value` safe to log: strings scrubbed, secret-named keys censored, errors turned into
 * plain objects (type, message, stack, every own field, cause, errors) scrubbed the same way.
 */
export function scrubValue(value: unknown, scrub: Scrub, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub, depth + 1, seen));
    if (value instanceof Date) return value.toISOString();
    if (value instanceof URL) return scrub(value.href);
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out['type'] = value.constructor?.name ?? 'Error';
      out['message'] = scrub(String(value.message ?? ''));
      if (value.stack) out['stack'] = scrub(value.stack);
    }
    const keys = new Set(Object.keys(value));
    // non-enumerable on many errors, and where grammY, undici and AggregateError keep what caused them
    for (const k of ['cause', 'error', 'errors', 'code']) if (k in value) keys.add(k);
    if (value instanceof Error) {
      keys.delete('message');
      keys.delete('stack');
    }
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function') continue;
      out[k] = SECRET_KEY_SET.has(k.toLowerCase()) ? CENSOR : scrubValue(v, scrub, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface LoggerOptions {
  level: string;
  pretty?: boolean;
  /** literal secret values to scrub from every message and error text */
  secrets?: Array<string | undefined>;
  /** where to write (tests); default stdout */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8);
  const scrub = createScrub(secrets);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: redactPaths(), censor: CENSOR },
    base: { app: 'ase-bot' },
    serializers: {
      err: (err: unknown) => scrubValue(err, scrub),
    },
    formatters: {
      // every field at every depth, before serializers and redaction
      log: (obj) => scrubValue(obj, scrub) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        // log.error(err): pino would take the message from the error unscrubbed
        const lifted = first instanceof Error ? [{ err: first }, ...(rest.length > 0 ? rest : [first.message])] : [first, ...rest];
        const cleaned = lifted.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
        return method.apply(this, cleaned);
      },
    },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty) {
    return pino({ ...pinoOptions, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(pinoOptions);
}
