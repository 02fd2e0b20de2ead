/**
 * JSON logs (pino). Secrets are removed twice: by path in logged objects (redact), and by value
 * anywhere in a message or error text (the bot token and SECRET_KEY are known at start).
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
  const scrub = (text: string) => secrets.reduce((acc, s) => acc.split(s).join('[REDACTED]'), text);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: redactPaths(), censor: '[REDACTED]' },
    base: { app: 'ase-bot' },
    serializers: {
      err: (err: unknown) => {
        const s = pino.stdSerializers.err(err as Error);
        return { ...s, message: scrub(String(s.message ?? '')), stack: s.stack ? scrub(s.stack) : undefined };
      },
    },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
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
