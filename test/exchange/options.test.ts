import { describe, expect, it } from 'vitest';
import { createCcxtClient } from '../../src/exchange/factory.ts';
import { deepMerge, parseExchangeOptions } from '../../src/exchange/options.ts';

describe('EXCHANGE_OPTIONS (per-exchange ccxt options, SPEC §8)', () => {
  it('unset or empty means no overrides', () => {
    expect(parseExchangeOptions(undefined)).toEqual({});
    expect(parseExchangeOptions('  ')).toEqual({});
  });

  it('refuses bad JSON, unknown exchanges and credentials, naming the variable', () => {
    expect(() => parseExchangeOptions('{bad')).toThrow(/^EXCHANGE_OPTIONS is not valid JSON/);
    expect(() => parseExchangeOptions('{"binanse":{}}')).toThrow(/EXCHANGE_OPTIONS is invalid.*exchange ids/s);
    expect(() => parseExchangeOptions('{"okx":{"apiKey":"x"}}')).toThrow(/credentials do not belong/);
    expect(() => parseExchangeOptions('[1]')).toThrow(/EXCHANGE_OPTIONS is invalid/);
  });

  it('merges into the ccxt constructor options: proxy, another host, nested options, timeouts', () => {
    const options = parseExchangeOptions('{"bybit":{"hostname":"bytick.com","httpsProxy":"http://10.0.0.2:3128","timeout":7000,"options":{"recvWindow":9000}}}');
    const client = createCcxtClient({ exchange: 'bybit', mode: 'futures', options });
    expect(client.hostname).toBe('bytick.com');
    expect(client.httpsProxy).toBe('http://10.0.0.2:3128');
    expect(client.timeout).toBe(7000);
    expect(client.options.recvWindow).toBe(9000);
    // the quirk's own options survive the merge
    expect(client.options.defaultType).toBe('swap');
  });

  it('urls.api entries override one by one (how tests point Binance at the emulator)', () => {
    const client = createCcxtClient({ exchange: 'binance', mode: 'spot', options: { binance: { urls: { api: { public: 'http://127.0.0.1:9/api/v3' } } } } });
    const api = client.urls.api as Record<string, string>;
    expect(api.public).toBe('http://127.0.0.1:9/api/v3');
    expect(api.fapiPublic).toBe('https://fapi.binance.com/fapi/v1');
  });

  it.each([
    ['binance', 'spot', 'public', 'testnet.binance.vision'],
    ['binance', 'futures', 'fapiPublic', 'demo-fapi.binance.com'],
    ['kraken', 'futures', 'public', 'demo-futures.kraken.com'],
    ['bybit', 'futures', 'public', 'api-testnet.'],
  ] as const)('sandbox: true points %s %s at its test environment', (exchange, mode, key, host) => {
    const client = createCcxtClient({ exchange, mode, options: { [exchange]: { sandbox: true } } });
    expect((client.urls.api as Record<string, string>)[key]).toContain(host);
  });

  it('okx sandbox trades in its demo account (simulated-trading header)', () => {
    const client = createCcxtClient({ exchange: 'okx', mode: 'spot', options: { okx: { sandbox: true } } });
    expect(client.headers).toMatchObject({ 'x-simulated-trading': '1' });
  });

  it('a mode without a test environment is refused with a clear message', () => {
    expect(() => createCcxtClient({ exchange: 'kraken', mode: 'spot', options: { kraken: { sandbox: true } } })).toThrow(/kraken spot has no testnet/);
    expect(() => createCcxtClient({ exchange: 'binance', mode: 'margin', options: { binance: { sandbox: true } } })).toThrow(/binance margin has no testnet/);
  });

  it('deepMerge: objects merge, arrays and scalars replace', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });
});
