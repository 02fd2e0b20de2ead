/**
 * A key's permissions as the exchange reports them (Gap: keys that can withdraw are refused).
 * Binance: GET /sapi/v1/account/apiRestrictions, real ccxt against the emulator, signed (Bybit:
 * test/exchange/ccxt-adapter.bybit.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { ExchangeError } from '../../src/exchange/port.ts';
import { quirksFor } from '../../src/exchange/quirks/index.ts';
import { startHarness, TEST_TIMEOUT_MS, type Harness } from './support.ts';

describe('key permissions on Binance (real ccxt against the emulator)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('reports a key allowed to withdraw as canWithdraw true, with trading and futures flags', async () => {
    h = await startHarness('spot');
    h.emulator.permissions.enableWithdrawals = true;
    h.emulator.permissions.enableFutures = false;
    expect(await h.exchange.keyPermissions!()).toEqual({ canWithdraw: true, canTrade: true, canFutures: false });
    const sent = h.emulator.requests.filter((r) => r.path === '/sapi/v1/account/apiRestrictions');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'GET', signed: true });
    expect(sent[0]!.params.signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a key without withdrawals as canWithdraw false (futures account too)', async () => {
    h = await startHarness('futures');
    expect(await h.exchange.keyPermissions!()).toEqual({ canWithdraw: false, canTrade: true, canFutures: true });
  });

  it('a wrong secret fails the signature check: AUTH_FAILED, not a permission answer', async () => {
    h = await startHarness('spot', { account: { credentials: { apiKey: 'emulator-key', secret: 'not-the-secret' } } });
    h.emulator.permissions.enableWithdrawals = true;
    const error = await h.exchange.keyPermissions!().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExchangeError);
    expect((error as ExchangeError).code).toBe('AUTH_FAILED');
  });

  it('an exchange without a documented permissions call (Kraken) answers {} (cannot tell) without a request', async () => {
    expect(quirksFor('kraken').keyPermissions).toBeUndefined();
    const factory = createExchangeFactory({ options: { kraken: { timeout: TEST_TIMEOUT_MS, urls: { api: { public: 'http://127.0.0.1:9', private: 'http://127.0.0.1:9' } } } } });
    const kraken = factory.create({ exchange: 'kraken', mode: 'spot', credentials: { apiKey: 'k', secret: Buffer.from('s').toString('base64') } });
    expect(await kraken.keyPermissions!()).toEqual({});
    await kraken.close();
  });
});
