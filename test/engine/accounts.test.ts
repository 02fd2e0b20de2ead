/**
 * SPEC §11 through the engine facade: every enabled account of a trader trades a signal it can
 * take; a paused account takes none while its positions stay protected; an account is removed only
 * without open positions, under the signal lock, and every cached client holding its keys is closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeAccount, ExchangePort } from '../../src/exchange/port.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createHarness, signalsDone, type Harness } from './harness.ts';

describe.each(databaseKinds())('accounts on %s', (kind) => {
  let db: TestDatabase;
  let h: Harness;
  afterEach(async () => {
    await h?.engine.stop();
    await db?.destroy();
  });

  it('a signal trades on every enabled account; a paused account keeps its position; removal waits for it to close and closes its client', async () => {
    db = await openTestDatabase(kind);
    const closed: string[] = [];
    let h0: Harness | undefined;
    const createExchange = (account: ExchangeAccount): ExchangePort => {
      const port = h0!.venue.port(account);
      const close = port.close.bind(port);
      port.close = async () => {
        closed.push(account.accountId!);
        await close();
      };
      return port;
    };
    h = h0 = await createHarness(db, {}, { createExchange });
    h.feed.push('BTC/USDT', 50_000);
    h.feed.push('BTC/USDT:USDT', 50_000);
    const { userId, accountId: spot } = await h.addTrader(5101);
    const futures = (await h.accounts.create({ userId, exchange: 'binance', mode: 'futures', marginMode: 'cross' })).id;
    await h.engine.start();
    const actor = { telegramId: 5101, userId };

    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone(h);
    const opened = await h.engine.facade.listPositions(userId);
    expect(opened.map((p) => [p.accountId, p.symbol, p.side]).sort()).toEqual([
      [futures, 'BTC/USDT:USDT', 'long'],
      [spot, 'BTC/USDT', 'long'],
    ].sort());
    const views = await h.engine.facade.listAccounts(userId);
    expect(views.map((a) => [a.label, a.enabled, a.openPositions.length])).toEqual([
      ['Paper Binance spot', true, 1],
      ['Paper Binance futures (cross)', true, 1],
    ]);

    // the futures account stops taking signals: the opposite signal reverses only the spot long
    expect(await h.engine.facade.setAccountEnabled(actor, userId, futures, false)).toMatchObject({ ok: true });
    h.clock.advance(16 * 60_000);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'SELL', userId });
    await signalsDone(h);
    const after = await h.engine.facade.listPositions(userId);
    expect(after.map((p) => [p.accountId, p.side])).toEqual([[futures, 'long']]);
    expect(h.notifier.events.filter((e) => e.kind === 'signal_reverse').map((e) => ('symbol' in e ? e.symbol : ''))).toEqual(['BTC/USDT']);

    // removal refuses while a position is open, names it, and keeps the client
    const refused = await h.engine.facade.removeAccount(actor, userId, futures);
    expect(refused).toEqual({ ok: false, code: 'has_positions', message: 'This account has 1 open position (BTC/USDT:USDT long). Close it first (/positions).' });
    expect(closed).toEqual([]);
    await h.engine.facade.closePosition(actor, userId, after[0]!.id, 1);
    expect(await h.engine.facade.removeAccount(actor, userId, futures)).toEqual({ ok: true, message: 'Removed Paper Binance futures (cross).' });
    expect(closed).toEqual([futures]);
    expect((await h.engine.facade.listAccounts(userId)).map((a) => a.id)).toEqual([spot]);
    expect(await h.engine.facade.removeAccount(actor, userId, futures)).toMatchObject({ ok: false, code: 'not_found' });

    // a new signal trades on the remaining account only
    h.clock.advance(16 * 60_000);
    await h.insertSignal({ symbol: 'BTC/USDT', action: 'BUY', userId });
    await signalsDone(h);
    expect((await h.engine.facade.listPositions(userId)).map((p) => p.accountId)).toEqual([spot]);
  });
});
