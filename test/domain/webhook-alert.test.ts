/** SPEC §9 webhook bodies: TradingView / 3Commas JSON and KEY=VALUE lines, each bad field named. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeSymbol, parseWebhookAlert } from '../../src/domain/webhook-alert.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe('normalizeSymbol', () => {
  it.each([
    ['BTCUSDT', 'BTC/USDT'],
    ['btc/usdt', 'BTC/USDT'],
    ['BINANCE:BTCUSDT', 'BTC/USDT'],
    ['BTCUSDT.P', 'BTC/USDT'],
    ['BYBIT:ETHUSDT.P', 'ETH/USDT'],
    ['BTC/USDT:USDT', 'BTC/USDT'],
    ['BTC-USDT', 'BTC/USDT'],
    ['SOLFDUSD', 'SOL/FDUSD'],
    ['ETHBTC', 'ETH/BTC'],
    ['$BTCUSDT', 'BTC/USDT'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeSymbol(input)).toBe(expected);
  });

  it("reads 3Commas' quote-first pairs", () => {
    expect(normalizeSymbol('USDT_BTC', 'pair')).toBe('BTC/USDT');
    expect(normalizeSymbol('BTC_USDT', 'pair')).toBe('BTC/USDT');
    expect(normalizeSymbol('BTC_ETH', 'pair')).toBe('ETH/BTC');
  });

  it.each(['', 'USDT', 'HELLO', 'BTC/', 'BTC USDT', 'BTC/USDT/ETH'])('refuses %j', (input) => {
    expect(normalizeSymbol(input)).toBeNull();
  });
});

describe('parseWebhookAlert', () => {
  it('reads a TradingView strategy alert', () => {
    const body = JSON.stringify({ action: 'BUY', ticker: 'BINANCE:BTCUSDT', stop_loss: '62000', take_profit: [70000, 72000, 75000], timestamp: new Date(NOW - 5000).toISOString(), confidence: 0.8 });
    const r = parseWebhookAlert(body, NOW);
    expect(r).toEqual({
      ok: true,
      alert: {
        symbol: 'BTC/USDT',
        action: 'BUY',
        confidence: 0.8,
        stopLoss: 62000,
        takeProfit: 75000,
        targets: [70000, 72000, 75000],
        sentAt: NOW - 5000,
        maxLagSec: 300,
        price: null,
        format: 'json',
        ignored: [],
      },
    });
  });

  it("reads a 3Commas signal-bot alert, and names (never echoes) the keys it does not use", () => {
    const body = JSON.stringify({
      secret: 'do-not-echo-me',
      max_lag: '60',
      timestamp: String(Math.floor((NOW - 30_000) / 1000)),
      trigger_price: '64000.5',
      tv_exchange: 'BINANCE',
      tv_instrument: 'ETHUSDT.P',
      action: 'enter_short',
      bot_uuid: 'abc',
    });
    const r = parseWebhookAlert(body, NOW);
    expect(r.ok && r.alert).toMatchObject({ symbol: 'ETH/USDT', action: 'SELL', maxLagSec: 60, sentAt: NOW - 30_000, price: 64000.5, confidence: 1 });
    expect(r.ok && r.alert.ignored.sort()).toEqual(['bot_uuid', 'secret']);
    expect(JSON.stringify(r)).not.toContain('do-not-echo-me');
  });

  it('reads KEY=VALUE lines', () => {
    const r = parseWebhookAlert('SYMBOL=BTCUSDT\nSIGNAL=SELL\nSTOP_PRICE=70000\nTAKE_PROFIT_PRICE=60000\n', NOW);
    expect(r.ok && r.alert).toMatchObject({ symbol: 'BTC/USDT', action: 'SELL', stopLoss: 70000, takeProfit: 60000, format: 'text' });
  });

  it.each([
    ['long', 'BUY'],
    ['Short', 'SELL'],
    ['close', 'CLOSE'],
    ['exit_long', 'CLOSE'],
    ['SELL', 'SELL'],
  ])('action %s → %s', (action, expected) => {
    const r = parseWebhookAlert(JSON.stringify({ action, symbol: 'BTCUSDT' }), NOW);
    expect(r.ok && r.alert.action).toBe(expected);
  });

  it.each([
    ['an empty body', '', 'body', 400],
    ['broken JSON', '{"action": "buy",', 'body', 400],
    ['a JSON list', '[1,2]', 'body', 400],
    ['no action', '{"symbol":"BTCUSDT"}', 'action', 400],
    ['an unknown action', '{"action":"hodl","symbol":"BTCUSDT"}', 'action', 400],
    ['no symbol', '{"action":"buy"}', 'symbol', 400],
    ['a bad ticker', '{"action":"buy","ticker":"XYZ"}', 'ticker', 400],
    ['a negative stop', '{"action":"buy","symbol":"BTCUSDT","stop_loss":-5}', 'stop_loss', 400],
    ['a bad target in a list', '{"action":"buy","symbol":"BTCUSDT","take_profit":[70000,"soon"]}', 'take_profit', 400],
    ['confidence above 1', '{"action":"buy","symbol":"BTCUSDT","confidence":80}', 'confidence', 400],
    ['a bad max_lag', '{"action":"buy","symbol":"BTCUSDT","max_lag":"never"}', 'max_lag', 400],
    ['a bad timestamp', '{"action":"buy","symbol":"BTCUSDT","timestamp":"yesterday-ish"}', 'timestamp', 400],
    ['a timestamp from the future', `{"action":"buy","symbol":"BTCUSDT","timestamp":${NOW + 600_000}}`, 'timestamp', 400],
    ['an alert older than the default max_lag', `{"action":"buy","symbol":"BTCUSDT","timestamp":${NOW - 301_000}}`, 'timestamp', 422],
    ['an alert older than its own max_lag', `{"action":"buy","symbol":"BTCUSDT","timestamp":${NOW - 61_000},"max_lag":60}`, 'timestamp', 422],
    ['a text line without =', 'SYMBOL=BTCUSDT\nBUY', 'body', 400],
  ])('refuses %s, naming the field', (_name, body, field, status) => {
    const r = parseWebhookAlert(body, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.status).toBe(status);
      expect(r.error.length).toBeGreaterThan(10);
    }
  });

  it('never throws, whatever the body (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.object().map((o) => JSON.stringify(o))), (body) => {
        const r = parseWebhookAlert(body, NOW);
        if (r.ok) expect(['BUY', 'SELL', 'CLOSE']).toContain(r.alert.action);
        else expect(r.field).toBeTruthy();
      }),
      { numRuns: 2000 },
    );
  });
});
