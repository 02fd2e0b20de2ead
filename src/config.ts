/**
 * Every environment variable the process reads, parsed once against one schema.
 * `createConfig(env)` is pure; a bad or missing variable is named in the error with what it expects.
 */
import { z } from 'zod';
import { parseExchangeOptions, type ExchangeOptions } from './exchange/options.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const TELEGRAM_API_ROOT = 'https://api.telegram.org';
/** the only ports Telegram's own Bot API server posts webhooks to */
const TELEGRAM_WEBHOOK_PORTS = ['443', '80', '88', '8443'];
/** paths the HTTP server serves already (SPEC §9): the Telegram webhook cannot share them */
const RESERVED_PATHS = /^\/(healthz|metrics|hook)(\/|$)/;

const csv = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));

const positiveNumber = (fallback: number, what: string, bounds: { min?: number; max?: number } = {}) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return fallback;
      const n = Number(s);
      if (!Number.isFinite(n) || n < (bounds.min ?? 0) || n > (bounds.max ?? Infinity)) {
        ctx.addIssue({ code: 'custom', message: `expected ${what}, got "${s}"` });
        return z.NEVER;
      }
      return n;
    });

const boolFlag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return fallback;
      const v = s.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${s}"` });
      return z.NEVER;
    });

export const envSchema = z
  .object({
    TELEGRAM_BOT_TOKEN: z
      .string({ error: 'is required: the token @BotFather gave you (like 123456789:AA…)' })
      .trim()
      .regex(/^\d{1,20}:[A-Za-z0-9_-]{5,}$/, 'expected a bot token like 123456789:AA… (digits, a colon, then letters)'),
    TELEGRAM_API_ROOT: z
      .string()
      .optional()
      .transform((s) => (s && s.trim() ? s.trim().replace(/\/+$/, '') : TELEGRAM_API_ROOT))
      .pipe(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of a Bot API server, like https://api.telegram.org' })),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (leave unset for the embedded database)')
        .optional(),
    ),
    DATA_DIR: optionalString.transform((s) => s ?? './data'),
    SECRET_KEY: optionalString.pipe(
      z.string().min(16, 'expected at least 16 characters (32 random bytes recommended: openssl rand -base64 32)').optional(),
    ),
    SECRET_KEY_PREVIOUS: optionalString.transform((s) => (s ? csv(s) : [])),
    ADMIN_TELEGRAM_IDS: optionalString.transform((s, ctx) => {
      const ids = s ? csv(s) : [];
      const bad = ids.filter((x) => !/^\d{1,20}$/.test(x));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `expected a comma list of numeric Telegram user ids, got "${bad.join(', ')}"` });
        return z.NEVER;
      }
      return ids.map(Number);
    }),
    LOG_LEVEL: optionalString.transform((s) => s?.toLowerCase() ?? 'info').pipe(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` })),
    LOG_PRETTY: boolFlag(false),
    SUPABASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected the https URL of your Supabase project' }).optional()),
    SUPABASE_KEY: optionalString,
    EXCHANGE_OPTIONS: optionalString.transform((s, ctx) => {
      try {
        return parseExchangeOptions(s);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a JSON object keyed by exchange id, like {"binance":{"sandbox":true}} (${(e as Error).message.replace(/^EXCHANGE_OPTIONS /, '')})`,
        });
        return z.NEVER;
      }
    }),
    TRUSTED_SOURCES: optionalString.transform((s) => (s ? csv(s) : ['titan_v3', 'COUNCIL_V2.0_FALLBACK'])),
    PAPER_START_BALANCE: positiveNumber(10_000, 'a USDT amount of at least 1, like 10000', { min: 1 }),
    PAPER_FEE_RATE: positiveNumber(0.001, 'a fraction from 0 to 0.1, like 0.001 (0.1 %)', { max: 0.1 }),
    PAPER_SLIPPAGE: positiveNumber(0.0005, 'a fraction from 0 to 0.1, like 0.0005 (0.05 %)', { max: 0.1 }),
    /** where prices come from: live exchange data, or a candles CSV replayed as ticks */
    PRICE_FEED: optionalString.transform((s) => s ?? 'live').pipe(z.enum(['live', 'replay'], { error: 'expected live or replay' })),
    /** SYMBOL=FILE[,SYMBOL=FILE…] for PRICE_FEED=replay */
    REPLAY_CANDLES: optionalString.transform((s, ctx) => {
      const out: Record<string, string> = {};
      for (const part of s ? csv(s) : []) {
        const eq = part.indexOf('=');
        if (eq <= 0) {
          ctx.addIssue({ code: 'custom', message: `expected SYMBOL=FILE pairs like BTC/USDT=./btc.csv, got "${part}"` });
          return z.NEVER;
        }
        out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
      }
      return out;
    }),
    /** replay speed: candles (one minute each) per second of wall time */
    REPLAY_SPEED: positiveNumber(1, 'candles per second, like 60'),
    /** the HTTP server (/healthz, /metrics, webhooks); 0 = any free port */
    HTTP_PORT: optionalString.transform((s, ctx) => {
      if (s === undefined) return 8080;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 65_535) {
        ctx.addIssue({ code: 'custom', message: `expected a port number from 0 to 65535 (0: any free port), got "${s}"` });
        return z.NEVER;
      }
      return n;
    }),
    HTTP_HOST: optionalString.transform((s) => s ?? '0.0.0.0'),
    /** the address traders' TradingView alerts reach this server at (shown by /webhook) */
    PUBLIC_URL: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, error: 'expected the http(s) address this server is reached at from outside, like https://bot.example.com' })
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
    ),
    /** behind a reverse proxy: client addresses from X-Forwarded-For (for the webhook's rate limit) */
    HTTP_TRUST_PROXY: boolFlag(false),
    /** webhook mode (SPEC §12): the public URL the Bot API posts updates to; every process serves its path */
    TELEGRAM_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'expected the https URL Telegram posts updates to, like https://bot.example.com/telegram' }).optional()),
    /** Telegram sends it in X-Telegram-Bot-Api-Secret-Token with every update: 1–256 of A–Z a–z 0–9 _ - */
    TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,256}$/, 'expected 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram allows no others), like the output of: openssl rand -hex 32')
        .optional(),
    ),
    /** the built-in council (SPEC §9): on by default, so a fresh install trades its paper account by itself */
    COUNCIL_ENABLED: boolFlag(true),
    COUNCIL_MINUTES: positiveNumber(15, 'whole minutes from 1 to 1440, like 15', { min: 1, max: 1440 }).refine(Number.isInteger, 'expected whole minutes from 1 to 1440, like 15'),
    /** unset: BTC/USDT,ETH/USDT live, the replayed symbols with PRICE_FEED=replay */
    COUNCIL_SYMBOLS: optionalString.transform((s, ctx) => {
      if (s === undefined) return undefined;
      const list = csv(s).map((x) => x.toUpperCase());
      const bad = list.filter((x) => !/^[A-Z0-9]+\/[A-Z0-9]+$/.test(x));
      if (bad.length > 0 || list.length === 0) {
        ctx.addIssue({ code: 'custom', message: `expected a comma list of BASE/QUOTE symbols like BTC/USDT,ETH/USDT, got "${bad.join(', ') || s}"` });
        return z.NEVER;
      }
      return list;
    }),
    /** whose public candles the council reads live (the paper accounts' prices are Binance's) */
    COUNCIL_EXCHANGE: optionalString.transform((s) => s?.toLowerCase() ?? 'binance'),
    /** PRICE_FEED=replay: the first hours of the files are history (the council and SL/TP read them), not played; 35 = what the council needs */
    REPLAY_WARMUP_HOURS: positiveNumber(35, 'hours, like 35 (0: play from the first candle)', { max: 24 * 365 }),
    SIGNAL_SWEEP_SECONDS: positiveNumber(300, 'seconds, like 300'),
    MONITOR_SWEEP_SECONDS: positiveNumber(5, 'seconds, like 5'),
  })
  .superRefine((env, ctx) => {
    if (env.DATABASE_URL && !env.SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRET_KEY'],
        message: 'is required when DATABASE_URL is set (it encrypts the exchange keys stored there)',
      });
    }
    if (Boolean(env.SUPABASE_URL) !== Boolean(env.SUPABASE_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.SUPABASE_URL ? 'SUPABASE_KEY' : 'SUPABASE_URL'],
        message: 'SUPABASE_URL and SUPABASE_KEY go together: set both or neither',
      });
    }
    if (env.TELEGRAM_WEBHOOK_URL) {
      const problem = webhookUrlProblem(env.TELEGRAM_WEBHOOK_URL, env.TELEGRAM_API_ROOT);
      if (problem) ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_URL'], message: problem });
      if (!env.TELEGRAM_WEBHOOK_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_WEBHOOK_SECRET'],
          message: 'is required with TELEGRAM_WEBHOOK_URL: updates without it are refused (1 to 256 of A-Z a-z 0-9 _ -, like the output of: openssl rand -hex 32)',
        });
      }
    } else if (env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'is used only in webhook mode: set TELEGRAM_WEBHOOK_URL too, or unset it to long-poll' });
    }
    if (env.PRICE_FEED === 'replay' && Object.keys(env.REPLAY_CANDLES).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['REPLAY_CANDLES'], message: 'is required when PRICE_FEED=replay (SYMBOL=FILE pairs)' });
    }
  });

/**
 * Telegram's own server posts only to https on ports 443, 80, 88 and 8443; a self-hosted Bot API
 * server (TELEGRAM_API_ROOT, started with --local) also posts to http and to any port.
 */
function webhookUrlProblem(raw: string, apiRoot: string): string | undefined {
  // an unparseable URL is named by the field's own check
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.hash) return `expected no #fragment in the URL, got "${url.hash}"`;
  if (RESERVED_PATHS.test(url.pathname)) return `expected a path of its own, not ${url.pathname} (/healthz, /metrics and /hook/… are served already), like https://bot.example.com/telegram`;
  if (apiRoot !== TELEGRAM_API_ROOT) return undefined;
  if (url.protocol !== 'https:') return `Telegram posts updates only to https URLs, got "${url.protocol}//…" (http works only with a self-hosted Bot API server in TELEGRAM_API_ROOT)`;
  if (url.port && !TELEGRAM_WEBHOOK_PORTS.includes(url.port)) return `Telegram posts updates only to ports 443, 80, 88 or 8443, got ${url.port} (put a reverse proxy in front of HTTP_PORT)`;
  return undefined;
}

export type Env = z.infer<typeof envSchema>;

export interface Config {
  /** webhook: updates are posted to `url` (its `path` served by every process) instead of long-polled */
  telegram: { token: string; apiRoot: string; adminIds: number[]; webhook: { url: string; path: string; secretToken: string } | undefined };
  database: { url: string | undefined; dataDir: string };
  secretKey: string | undefined;
  previousSecretKeys: string[];
  log: { level: (typeof LOG_LEVELS)[number]; pretty: boolean };
  supabase: { url: string; key: string } | undefined;
  exchangeOptions: ExchangeOptions;
  trustedSources: string[];
  paper: { startBalance: number; feeRate: number; slippage: number };
  priceFeed: { kind: 'live' } | { kind: 'replay'; candles: Record<string, string>; speed: number; warmupHours: number };
  /** SPEC §9 built-in council; null = off */
  council: { minutes: number; symbols: string[]; exchange: string } | null;
  intervals: { signalSweepSeconds: number; monitorSweepSeconds: number };
  http: { host: string; port: number; publicUrl: string | undefined; trustProxy: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: Array<{ variable: string; message: string }>) {
    super(`Configuration error:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Pure: the same env always gives the same config or the same error. */
export function createConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  return {
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT,
      adminIds: e.ADMIN_TELEGRAM_IDS,
      webhook:
        e.TELEGRAM_WEBHOOK_URL && e.TELEGRAM_WEBHOOK_SECRET
          ? { url: e.TELEGRAM_WEBHOOK_URL, path: new URL(e.TELEGRAM_WEBHOOK_URL).pathname, secretToken: e.TELEGRAM_WEBHOOK_SECRET }
          : undefined,
    },
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    secretKey: e.SECRET_KEY,
    previousSecretKeys: e.SECRET_KEY_PREVIOUS,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    supabase: e.SUPABASE_URL && e.SUPABASE_KEY ? { url: e.SUPABASE_URL, key: e.SUPABASE_KEY } : undefined,
    exchangeOptions: e.EXCHANGE_OPTIONS,
    trustedSources: e.TRUSTED_SOURCES,
    paper: { startBalance: e.PAPER_START_BALANCE, feeRate: e.PAPER_FEE_RATE, slippage: e.PAPER_SLIPPAGE },
    priceFeed: e.PRICE_FEED === 'replay' ? { kind: 'replay', candles: e.REPLAY_CANDLES, speed: e.REPLAY_SPEED, warmupHours: e.REPLAY_WARMUP_HOURS } : { kind: 'live' },
    council: e.COUNCIL_ENABLED
      ? {
          minutes: e.COUNCIL_MINUTES,
          symbols: e.COUNCIL_SYMBOLS ?? (e.PRICE_FEED === 'replay' ? Object.keys(e.REPLAY_CANDLES).map((x) => x.toUpperCase()) : ['BTC/USDT', 'ETH/USDT']),
          exchange: e.PRICE_FEED === 'replay' ? 'replay' : e.COUNCIL_EXCHANGE,
        }
      : null,
    intervals: { signalSweepSeconds: e.SIGNAL_SWEEP_SECONDS, monitorSweepSeconds: e.MONITOR_SWEEP_SECONDS },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, publicUrl: e.PUBLIC_URL, trustProxy: e.HTTP_TRUST_PROXY },
  };
}
