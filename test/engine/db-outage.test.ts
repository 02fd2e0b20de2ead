/**
 * SPEC §10, exits do not wait on the database: the database made unreachable for real (PostgreSQL
 * behind a TCP proxy that drops and black-holes connections; PGlite refusing as a closed handle),
 * real ccxt against the Binance emulator (USD-M). A stop loss the monitor decides during the
 * outage reaches the exchange within 2 s of the tick, is sent once, and is recorded once when the
 * database is back; the trader is told of the outage directly (the alert outbox is in the database).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { orders, positions, trades } from '../../src/db/schema.ts';
import { OUTAGE_MESSAGE } from '../../src/engine/outage-notices.ts';
import { accountLabel } from '../../src/engine/account-label.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { databaseKinds } from '../support/databases.ts';
import { closeOutageWorld, LONE_TIMINGS, marketOrders, open, openOutageWorld, sleep, waitFor, type OutageWorld } from './db-outage-world.ts';
import { setPrice } from './backstop-world.ts';

let world: OutageWorld | undefined;
afterEach(async () => {
  if (world) await closeOutageWorld(world);
  world = undefined;
});

describe.each(databaseKinds())('exits while the database is down (%s)', (kind) => {
  it('a stop loss reaches the exchange within 2 s of the tick, is sent once, and is recorded once when the database is back', async () => {
    const w = (world = await openOutageWorld(kind));
    const p = await open(w);
    const backstop = p.exchangeStop!.stopPrice!;
    const before = marketOrders(w).length;
    w.outage.cut();
    // PostgreSQL: the outage outlasts the leases (a lone process keeps acting, SPEC §10 and §12)
    if (w.leases) await sleep(LONE_TIMINGS.ttlMs);
    // through the bot's stop, short of the exchange's stop: only the bot can close it
    const price = Math.round((p.stopLoss! + backstop) / 2);
    const t0 = performance.now();
    setPrice(w, price);
    const arrived = await waitFor(() => marketOrders(w).length > before, 10_000);
    const latency = arrived - t0;
    console.log(`${kind}: tick → exit order at the exchange with the database down: ${latency.toFixed(0)} ms`);
    expect(latency).toBeLessThan(2_000);
    expect(marketOrders(w).at(-1)!.params).toMatchObject({ side: 'SELL', reduceOnly: 'true' });
    expect([...w.ex.book.positions.values()].filter((x) => x.amount !== 0)).toEqual([]);
    await waitFor(() => w.h.engine.facade.databaseOutage()?.exitsAwaitingRecord === 1, 5_000); // the fill's answer is on its way
    expect((await w.h.engine.facade.status()).database).toMatchObject({ available: false, exitsAwaitingRecord: 1 });

    // more ticks and sweeps while it is down: nothing is sent again
    for (const next of [price - 10, price + 10, price - 20]) setPrice(w, next);
    await w.h.engine.sweepPositions();
    await sleep(200);
    expect(marketOrders(w)).toHaveLength(before + 1);
    // the outage lasts: the trader is told directly, once, that positions stay protected
    await waitFor(() => w.h.notifier.direct.length > 0, 8_000);
    expect(w.h.notifier.direct).toEqual([{ kind: 'action_needed', userId: w.userId, message: OUTAGE_MESSAGE }]);
    expect(w.h.notifier.ofKind('stop_loss')).toEqual([]); // its alert waits for the outbox

    w.outage.restore();
    await waitFor(() => w.h.engine.facade.databaseOutage() === null, 15_000);
    await w.h.engine.settle();
    const rows = await w.db.db.select().from(trades).where(eq(trades.positionId, p.id));
    expect(rows.map((t) => [t.closeReason, Number(t.exitPrice), Number(t.quantity)])).toEqual([['stop_loss', price, p.qty]]);
    const [row] = await w.db.db.select().from(positions).where(eq(positions.id, p.id));
    expect(row).toMatchObject({ status: 'closed', closeReason: 'stop_loss' });
    const orderRows = await w.db.db.select().from(orders).where(eq(orders.positionId, p.id));
    expect(orderRows.map((o) => [o.purpose, o.status]).sort()).toEqual([
      ['close', 'filled'],
      ['entry', 'filled'],
    ]);
    expect(w.h.notifier.ofKind('stop_loss')).toHaveLength(1);
    // the alert decided while the database was down still names the account (its label is kept in memory)
    const [account] = await createAccountsRepo(w.db.db, createSecretBox(randomBytes(32).toString('base64'))).listForUser(w.userId);
    expect(w.h.notifier.ofKind('stop_loss')[0]).toMatchObject({ accountLabel: accountLabel(account!) });
    expect(w.h.notifier.ofKind('order_failed')).toEqual([]);
    expect(w.h.engine.facade.databaseOutage()).toBeNull();

    // a restart finds nothing left to do
    await w.h.engine.stop();
    w.h.engine = w.h.newEngine();
    await w.h.engine.start();
    await w.h.engine.settle();
    expect(await w.db.db.select().from(trades).where(eq(trades.positionId, p.id))).toHaveLength(1);
    expect(marketOrders(w)).toHaveLength(before + 1);
    expect(w.h.notifier.ofKind('stop_loss')).toHaveLength(1);
  });
});

describe('the exit journal file', () => {
  it('is empty once every exit of an outage is recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ase-journal-'));
    try {
      const { openExitJournal } = await import('../../src/engine/exit-journal.ts');
      const j = openExitJournal(join(dir, 'exit-journal.ndjson'));
      const order = { id: 'o1', userId: 'u', accountId: 'a', positionId: 'p', signalId: null, clientOrderId: 'c1', symbol: 'BTC/USDT', side: 'sell' as const, type: 'market' as const, purpose: 'close' as const, qty: 1, price: null, reduceOnly: true };
      j.intent({ at: 1, order, pending: { orderId: 'o1', clientOrderId: 'c1', purpose: 'close', source: 'position_monitor', action: null } });
      j.close();
      // reopened (a restart): the intent is still there
      const again = openExitJournal(join(dir, 'exit-journal.ndjson'));
      expect(again.open().map((e) => e.order.clientOrderId)).toEqual(['c1']);
      again.recorded('c1');
      expect(again.open()).toEqual([]);
      again.close();
      expect(openExitJournal(join(dir, 'exit-journal.ndjson')).open()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
