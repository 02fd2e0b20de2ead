/**
 * Issue 14, protections across a restart: the drawdown guard's state comes from the trades in
 * the database, not from what the previous process had in memory. Losing exits that trip the
 * guard are on the database, the engine is replaced by a fresh one on the same database, and the
 * admin's /status at once shows the guard with its numbers and until when; a signal right after
 * is refused by the guard and /signals says why. Bot API emulator, real bot, real engine, paper exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { admin, alice, harnessKinds, startHarness, type Harness, connectPaperSpot } from './harness.ts';
import { createEngine, type Engine } from '../../src/engine/create-engine.ts';
import type { EngineFacade } from '../../src/engine/facade.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { trades, tradingSignals } from '../../src/db/schema.ts';
import { fmtTime } from '../../src/telegram/format/numbers.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';

const HOUR = 3_600_000;

let h: Harness;
let feed: ManualFeed;
/** the engine now running; `restart()` replaces it with a fresh one on the same database */
let current: Engine;
let restart: () => Promise<void>;

async function start(kind: 'pglite' | 'postgres') {
  feed = new ManualFeed('binance', { now: () => Date.now() });
  feed.push('BTC/USDT', 100_000);
  h = await startHarness({
    kind,
    engine: async ({ db, box, notifier }) => {
      const exchanges = createExchangeRuntime({ priceFeed: feed, paper: { store: createDrizzlePaperStore(db.db) } });
      const build = async () => {
        const engine = createEngine({
          database: db,
          repos: createRepos(db.db, box),
          notifier,
          createExchange: (account) => exchanges.create(account),
          feeds: () => feed,
          config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 }, adminTelegramIds: [admin.id] },
          options: { schedule: false },
        });
        await engine.start();
        return engine;
      };
      current = await build();
      restart = async () => {
        await current.stop();
        current = await build();
      };
      // the bot keeps one facade; each call goes to the engine running now
      const facade = new Proxy({} as EngineFacade, { get: (_, key) => Reflect.get(current.facade, key) });
      return {
        facade,
        async stop() {
          await current.stop();
          await exchanges.close();
        },
      };
    },
  });
}
afterEach(async () => {
  await h?.stop();
});

describe.each(harnessKinds())('protections after a restart on %s', (kind) => {
  it('losing exits trip the drawdown guard; a fresh engine shows it in /status at once and refuses the next signal', async () => {
    await start(kind);
    const userId = await connectPaperSpot(h, alice);
    const [account] = await createAccountsRepo(h.db.db, h.box).listForUser(userId);

    // three stopped-out longs in the last 3 hours lose 1,500 USDT on the 10,000 paper wallet:
    // from a peak of 11,500 the closed trades fell 13.04 % (default guard: 10 % over 24 h, 12 h pause)
    const now = Date.now();
    const exits = [
      { at: now - 3 * HOUR, pnl: -400 },
      { at: now - 2 * HOUR, pnl: -500 },
      { at: now - 1 * HOUR, pnl: -600 },
    ];
    for (const e of exits) {
      await h.db.db.insert(trades).values({
        userId,
        accountId: account!.id,
        symbol: 'ETH/USDT',
        side: 'long',
        quantity: '1',
        entryPrice: '3000',
        exitPrice: String(3000 + e.pnl),
        pnl: String(e.pnl),
        closeReason: 'stop_loss',
        source: 'position_monitor',
        closedAt: new Date(e.at),
      });
    }
    const worstAt = new Date(exits[2]!.at);
    const until = new Date(exits[2]!.at + 12 * HOUR);

    // the engine running when the trades were written never decided an entry: nothing in its memory
    expect((await h.say(admin, '/status', /Status/)).text).toContain('Protections: none holding entries');

    await restart();
    const status = await h.say(admin, '/status', /Status/);
    expect(status.text).toContain('🛡 Protections holding entries: 1 account');
    expect(status.text).toContain(
      `${alice.id} @${alice.username}: max drawdown (every pair) until ${fmtTime(until)}: closed trades of the last 24 h fell 13.04 % from their peak (limit 10 %, at ${fmtTime(worstAt)})`,
    );

    // a signal right after the restart meets the same guard
    await h.db.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', userId, reasoning: 'test' });
    let outcome: string | undefined;
    for (const deadline = Date.now() + 15_000; outcome === undefined && Date.now() < deadline; ) {
      await current.sweepSignals();
      const [latest] = await h.engine.recentSignals(userId, 1);
      if (latest?.outcome && latest.outcome !== 'pending') outcome = latest.outcome;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(outcome).toBe('rejected');
    expect(await h.engine.listPositions(userId)).toHaveLength(0);
    const signals = await h.say(alice, '/signals', /BTC\/USDT/);
    expect(signals.text).toContain(`protection max drawdown: closed trades of the last 24 h fell 13.04 % from their peak (limit 10 %, at ${fmtTime(worstAt)}); no new entries until ${fmtTime(until)}`);
  });
});
