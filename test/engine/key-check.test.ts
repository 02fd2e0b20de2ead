/**
 * facade.checkKey against the Binance emulator through real ccxt: the balance proves the key
 * works, the exchange's permission report fills canWithdraw (the bot refuses true), and a failed
 * permission read leaves it undefined (the bot warns) instead of failing a good key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startBinanceEmulator, type BinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { createHarness, type Harness } from './harness.ts';

describe.each(databaseKinds())('checkKey on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  let emulator: BinanceEmulator;

  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
    await emulator?.close();
  });

  async function setup() {
    emulator = await startBinanceEmulator();
    emulator.book.spot('USDT').free = 1_000;
    const factory = createExchangeFactory({
      options: { binance: { timeout: 400, urls: { api: emulator.ccxtApiUrls() } } },
      retryPolicy: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    db = await openTestDatabase(kind);
    h = await createHarness(db, {}, { createExchange: (account) => factory.create(account) });
  }

  const key = () => ({ apiKey: emulator.apiKey, secret: emulator.secret });

  it('a key allowed to withdraw: ok with canWithdraw true', async () => {
    await setup();
    emulator.permissions.enableWithdrawals = true;
    expect(await h.engine.facade.checkKey('binance', 'spot', key())).toEqual({ ok: true, canWithdraw: true });
    expect(emulator.count('/api/v3/account')).toBe(1);
    expect(emulator.count('/sapi/v1/account/apiRestrictions')).toBe(1);
  });

  it('a key without withdrawals: ok with canWithdraw false (futures too)', async () => {
    await setup();
    expect(await h.engine.facade.checkKey('binance', 'spot', key())).toEqual({ ok: true, canWithdraw: false });
    expect(await h.engine.facade.checkKey('binance', 'futures', key())).toEqual({ ok: true, canWithdraw: false });
  });

  it('the permission endpoint failing does not fail a good key: canWithdraw stays undefined', async () => {
    await setup();
    emulator.inject({ path: '/sapi/v1/account/apiRestrictions', times: 5, fault: { kind: 'server-error', status: 503 } });
    const check = await h.engine.facade.checkKey('binance', 'spot', key());
    expect(check).toEqual({ ok: true });
    expect(check.canWithdraw).toBeUndefined();
  });

  it('a wrong secret fails at the balance, before any permission question', async () => {
    await setup();
    emulator.permissions.enableWithdrawals = true;
    const check = await h.engine.facade.checkKey('binance', 'spot', { apiKey: emulator.apiKey, secret: 'wrong' });
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/rejected the API key/);
    expect(emulator.count('/sapi/v1/account/apiRestrictions')).toBe(0);
  });
});
