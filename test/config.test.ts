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
});
