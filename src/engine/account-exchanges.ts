/**
 * One ExchangePort per account, built on first use from the api_keys row (credentials opened
 * only here, handed straight to the factory) and reused by the cycle, the monitor and the facade.
 */
import type { AccountsRepo } from '../db/repos/accounts.ts';
import { ExchangeError, type ExchangeAccount, type ExchangeId, type ExchangePort } from '../exchange/port.ts';
import type { AccountExchanges } from './ports.ts';

export type CreateExchange = (account: ExchangeAccount) => ExchangePort | Promise<ExchangePort>;

export function createAccountExchanges(accounts: AccountsRepo, create: (account: ExchangeAccount, owner: { userId: string }) => ExchangePort | Promise<ExchangePort>): AccountExchanges {
  const cache = new Map<string, Promise<ExchangePort>>();

  async function build(accountId: string): Promise<ExchangePort> {
    const record = await accounts.get(accountId);
    if (!record) throw new ExchangeError('AUTH_FAILED', { message: 'This exchange account no longer exists.' });
    const account: ExchangeAccount = {
      exchange: record.exchange as ExchangeId,
      mode: record.mode,
      paper: record.isPaper,
      accountId: record.id,
      ...(record.marginMode ? { marginMode: record.marginMode } : {}),
    };
    if (!record.isPaper) {
      const credentials = await accounts.credentials(accountId);
      if (credentials) {
        account.credentials = { apiKey: credentials.apiKey, secret: credentials.secret, ...(credentials.password ? { password: credentials.password } : {}) };
      }
    }
    return create(account, { userId: record.userId });
  }

  return {
    forAccount(accountId) {
      let port = cache.get(accountId);
      if (!port) {
        port = build(accountId);
        cache.set(accountId, port);
        port.catch(() => cache.delete(accountId));
      }
      return port;
    },
    async forget(accountId) {
      const port = cache.get(accountId);
      cache.delete(accountId);
      if (port) await port.then((p) => p.close()).catch(() => {});
    },
    async closeAll() {
      const ports = [...cache.values()];
      cache.clear();
      await Promise.all(ports.map((p) => p.then((x) => x.close()).catch(() => {})));
    },
  };
}
