import { describe, expect, it } from 'vitest';
import { ConfigError, createConfig } from '../src/config.ts';

const TOKEN = '123456:TEST-token_for_tests';

function problems(env: Record<string, string>): Record<string, string> {
  try {
    createConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return Object.fromEntries(e.problems.map((p) => [p.variable, p.message]));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('needs only a bot token: embedded database, paper defaults, default sources', () => {
    const c = createConfig({ TELEGRAM_BOT_TOKEN: TOKEN });
    expect(c.database).toEqual({ url: undefined, dataDir: './data' });
    expect(c.telegram.apiRoot).toBe('https://api.telegram.org');
    expect(c.trustedSources).toEqual(['titan_v3', 'COUNCIL_V2.0_FALLBACK']);
    expect(c.paper).toEqual({ startBalance: 10_000, feeRate: 0.001, slippage: 0.0005 });
    expect(c.priceFeed).toEqual({ kind: 'live' });
    expect(c.intervals).toEqual({ signalSweepSeconds: 300, monitorSweepSeconds: 5 });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080, publicUrl: undefined, trustProxy: false });
  });

  it('reads the HTTP server settings (port 0: any free port)', () => {
    const c = createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'https://bot.example.com/', HTTP_TRUST_PROXY: 'true' });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 0, publicUrl: 'https://bot.example.com', trustProxy: true });
  });

  it('names a missing token', () => {
    expect(problems({})).toHaveProperty('TELEGRAM_BOT_TOKEN', expect.stringContaining('required'));
  });

  it.each([
    ['TELEGRAM_BOT_TOKEN', 'not-a-token', 'bot token'],
    ['TELEGRAM_API_ROOT', 'localhost:8081', 'URL'],
    ['DATABASE_URL', 'mysql://x', 'postgres://'],
    ['ADMIN_TELEGRAM_IDS', '12,abc', '"abc"'],
    ['LOG_LEVEL', 'loud', 'one of'],
    ['LOG_PRETTY', 'maybe', 'true or false'],
    ['SECRET_KEY', 'short', '16 characters'],
    ['EXCHANGE_OPTIONS', '{"binance": 3}', 'JSON object'],
    ['EXCHANGE_OPTIONS', '[1]', 'JSON object'],
    ['EXCHANGE_OPTIONS', '{"mtgox": {}}', 'exchange ids'],
    ['EXCHANGE_OPTIONS', '{"binance": {"secret": "x"}}', 'credentials do not belong'],
    ['PAPER_START_BALANCE', '-5', 'USDT amount'],
    ['PAPER_FEE_RATE', 'abc', 'fraction from 0 to 0.1'],
    ['PAPER_SLIPPAGE', '5', 'fraction from 0 to 0.1'],
    ['PRICE_FEED', 'magic', 'live or replay'],
    ['REPLAY_CANDLES', 'btc.csv', 'SYMBOL=FILE'],
    ['HTTP_PORT', '80000', 'port number'],
    ['HTTP_PORT', 'web', 'port number'],
    ['PUBLIC_URL', 'bot.example.com', 'http(s) address'],
    ['HTTP_TRUST_PROXY', 'sometimes', 'true or false'],
  ])('names %s when it is "%s"', (variable, value, expected) => {
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, [variable]: value })[variable]).toContain(expected);
  });

  it('requires SECRET_KEY with a server database', () => {
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, DATABASE_URL: 'postgres://h/db' })).toHaveProperty('SECRET_KEY');
  });

  it('requires Supabase URL and key together', () => {
    expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, SUPABASE_URL: 'https://x.supabase.co' })).toHaveProperty('SUPABASE_KEY');
  });

  it('reports every bad variable at once', () => {
    expect(Object.keys(problems({ TELEGRAM_BOT_TOKEN: 'x', LOG_LEVEL: 'loud' })).sort()).toEqual(['LOG_LEVEL', 'TELEGRAM_BOT_TOKEN']);
  });

  it('parses lists and JSON', () => {
    const c = createConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      ADMIN_TELEGRAM_IDS: ' 11, 22 ',
      EXCHANGE_OPTIONS: '{"binance":{"options":{"defaultType":"future"}}}',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/',
      PRICE_FEED: 'replay',
      REPLAY_CANDLES: 'BTC/USDT=a.csv,LTC/USDT=b.csv',
      REPLAY_SPEED: '60',
    });
    expect(c.telegram.adminIds).toEqual([11, 22]);
    expect(c.telegram.apiRoot).toBe('http://127.0.0.1:8081');
    expect(c.exchangeOptions).toEqual({ binance: { options: { defaultType: 'future' } } });
    expect(c.priceFeed).toEqual({ kind: 'replay', candles: { 'BTC/USDT': 'a.csv', 'LTC/USDT': 'b.csv' }, speed: 60, warmupHours: 35 });
    // the council is on by default and, on a replay, votes on the replayed symbols
    expect(c.council).toEqual({ minutes: 15, symbols: ['BTC/USDT', 'LTC/USDT'], exchange: 'replay' });
    expect(createConfig({ TELEGRAM_BOT_TOKEN: TOKEN }).council).toEqual({ minutes: 15, symbols: ['BTC/USDT', 'ETH/USDT'], exchange: 'binance' });
    expect(createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, COUNCIL_ENABLED: 'false' }).council).toBeNull();
    expect(() => createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, COUNCIL_SYMBOLS: 'BTCUSDT' })).toThrow(/COUNCIL_SYMBOLS: expected a comma list of BASE\/QUOTE symbols like BTC\/USDT,ETH\/USDT, got "BTCUSDT"/);
    expect(() => createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, COUNCIL_MINUTES: '7.5' })).toThrow(/COUNCIL_MINUTES/);
    expect(createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, PAPER_START_BALANCE: '2500', PAPER_FEE_RATE: '0.00075', PAPER_SLIPPAGE: '' }).paper).toEqual({
      startBalance: 2_500,
      feeRate: 0.00075,
      slippage: 0.0005,
    });
  });
  describe('Telegram webhook mode', () => {
    const SECRET = 'k3y_of-32-chars_0123456789abcdefgh';

    it('long-polls when TELEGRAM_WEBHOOK_URL is unset', () => {
      expect(createConfig({ TELEGRAM_BOT_TOKEN: TOKEN }).telegram.webhook).toBeUndefined();
    });

    it('takes the URL, the path every process serves, and the secret token', () => {
      const c = createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com:8443/tg/updates?x=1', TELEGRAM_WEBHOOK_SECRET: SECRET });
      expect(c.telegram.webhook).toEqual({ url: 'https://bot.example.com:8443/tg/updates?x=1', path: '/tg/updates', secretToken: SECRET });
    });

    it('requires the secret token with the URL, and the URL with the token', () => {
      expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg' })['TELEGRAM_WEBHOOK_SECRET']).toMatch(/is required with TELEGRAM_WEBHOOK_URL/);
      expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET })['TELEGRAM_WEBHOOK_SECRET']).toMatch(/set TELEGRAM_WEBHOOK_URL too/);
    });

    it.each([
      ['has a space', 'two words', 'A-Z, a-z, 0-9, _ and -'],
      ['has a character Telegram refuses', 'secret!', 'A-Z, a-z, 0-9, _ and -'],
      ['is 257 characters long', 'a'.repeat(257), '1 to 256 characters'],
    ])('refuses a secret token that %s', (_what, secret, expected) => {
      expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg', TELEGRAM_WEBHOOK_SECRET: secret })['TELEGRAM_WEBHOOK_SECRET']).toContain(expected);
    });

    it('accepts a secret token of exactly 256 characters', () => {
      const secret = 'aZ9_-'.repeat(51) + 'x';
      expect(createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg', TELEGRAM_WEBHOOK_SECRET: secret }).telegram.webhook?.secretToken).toHaveLength(256);
    });

    it.each([
      ['not a URL', 'bot.example.com/tg', 'expected the https URL Telegram posts updates to'],
      ['http with Telegram\'s server', 'http://bot.example.com/tg', 'only to https URLs'],
      ['a port Telegram does not post to', 'https://bot.example.com:3000/tg', 'only to ports 443, 80, 88 or 8443, got 3000'],
      ['a path the server serves already', 'https://bot.example.com/hook/telegram', 'a path of its own, not /hook/telegram'],
      ['the health check\'s path', 'https://bot.example.com/healthz', 'a path of its own'],
      ['a #fragment', 'https://bot.example.com/tg#x', 'no #fragment'],
    ])('refuses %s', (_what, url, expected) => {
      expect(problems({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: SECRET })['TELEGRAM_WEBHOOK_URL']).toContain(expected);
    });

    it('allows http and any port with a self-hosted Bot API server (its --local mode posts there)', () => {
      const c = createConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: 'http://127.0.0.1:8081', TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1:3000/tg', TELEGRAM_WEBHOOK_SECRET: SECRET });
      expect(c.telegram.webhook).toEqual({ url: 'http://127.0.0.1:3000/tg', path: '/tg', secretToken: SECRET });
    });
  });
});
