/**
 * SPEC §12 at the Telegram edge: the bot runs in a process that owns no trader (the poller), the
 * trader's positions live in another process's monitor (the owner), both engines on one
 * PostgreSQL with their own lease managers and exchange runtimes. The trader taps Close under
 * the opened alert: the owner closes it and the closing alert comes; with the owner stopped, the
 * trader is told the close was sent to the process that holds the account.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, connectPaperSpot, startHarness, type Harness, admin } from './harness.ts';
import { createEngine, type Engine } from '../../src/engine/create-engine.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createShardLeasesRepo } from '../../src/db/repos/shard-leases.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createLeaseManager } from '../../src/engine/shard-leases.ts';
import { silentLogger } from '../../src/engine/ports.ts';
import { engineCommands, tradingSignals } from '../../src/db/schema.ts';
import { databaseKinds } from '../support/databases.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';

let h: Harness;
let feed: ManualFeed;
let owner: { engine: Engine; stopped: boolean };

describe.each(databaseKinds().filter((k) => k === 'postgres'))('a button pressed in the process that does not own the trader, on %s', (kind) => {
  beforeEach(async () => {
    feed = new ManualFeed('binance', { now: () => Date.now() });
    feed.push('BTC/USDT', 100_000);
    feed.push('ETH/USDT', 3_000);
    h = await startHarness({
      kind,
      async engine({ db, box, notifier }) {
        const leasesRepo = createShardLeasesRepo(db.db);
        const timings = { ttlMs: 120_000, renewMs: 1_000, marginMs: 1_000 };
        const process = (id: string, leases: ReturnType<typeof createLeaseManager>) => {
          const runtime = createExchangeRuntime({ priceFeed: feed, paper: { store: createDrizzlePaperStore(db.db) } });
          const engine = createEngine({
            database: db,
            repos: createRepos(db.db, box),
            notifier,
            createExchange: (account) => runtime.create(account),
            feeds: () => feed,
            leases,
            config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 }, adminTelegramIds: [admin.id] },
            options: { schedule: false, commands: { waitMs: 3_000, sweepMs: 300 } },
          });
          return { id, engine, runtime, leases };
        };
        const ownerLeases = createLeaseManager({ repo: leasesRepo, id: 'owner', host: 'test', pid: 1, liveness: db.livenessLock('owner'), logger: silentLogger, timings, schedule: false });
        await ownerLeases.start();
        // the poller's lease manager never claims: it owns no trader
        const pollerLeases = createLeaseManager({ repo: leasesRepo, id: 'poller', host: 'test', pid: 2, liveness: db.livenessLock('poller'), logger: silentLogger, timings, schedule: false });
        const a = process('owner', ownerLeases);
        const p = process('poller', pollerLeases);
        await a.engine.start();
        await p.engine.start();
        owner = { engine: a.engine, stopped: false };
        return {
          facade: p.engine.facade,
          async stop() {
            await p.engine.stop();
            if (!owner.stopped) await a.engine.stop();
            await ownerLeases.stop();
            await pollerLeases.stop();
            await a.runtime.close();
            await p.runtime.close();
          },
        };
      },
    });
  });
  afterEach(async () => {
    await h.stop();
  });

  async function signal(userId: string, symbol: string) {
    await h.db.db.insert(tradingSignals).values({ symbol, action: 'BUY', confidence: 0.8, source: 'titan_v3', userId, reasoning: 'test' });
  }

  it('Close under the alert closes the position in the owner; with the owner stopped the trader is told it was sent', { timeout: 120_000 }, async () => {
    const userId = await connectPaperSpot(h, alice);
    await signal(userId, 'BTC/USDT');
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*BTC\/USDT LONG/, 15_000);
    expect(owner.engine.openPositionCount()).toBe(1);
    // the poller's /positions reads what the owner wrote
    await h.say(alice, '/positions', /Open positions \(1\)/);

    const closed = await h.press(alice, opened, '✖ Close');
    expect(closed.answer).toBe('Closing BTC/USDT…');
    await h.emu.waitForMessage(alice.id, /CLOSED BY YOU[\s\S]*BTC\/USDT[\s\S]*Position closed after \d+ s\./, 15_000);
    expect(owner.engine.openPositionCount()).toBe(0);
    // the closing alert is written during the close; the command's result right after it
    const commands = async () => (await h.db.db.select().from(engineCommands)).map((r) => [r.kind, r.status, r.askedBy, r.runBy]);
    for (const start = Date.now(); (await commands())[0]?.[1] === 'running' && Date.now() - start < 10_000; ) await new Promise((r) => setTimeout(r, 50));
    expect(await commands()).toEqual([['closePosition', 'done', 'poller', 'owner']]);

    await signal(userId, 'ETH/USDT');
    const eth = await h.emu.waitForMessage(alice.id, /POSITION OPENED[\s\S]*ETH\/USDT LONG/, 15_000);
    await owner.engine.stop();
    owner.stopped = true;
    expect((await h.press(alice, eth, '✖ Close')).answer).toBe('Closing ETH/USDT…');
    await h.emu.waitForMessage(alice.id, /^ETH\/USDT: Sent to the bot process that holds your account; it has not answered yet\. You will get an alert when it is done\.$/, 15_000);
  });
});
