/**
 * The real engine (and the real exchange layer) behind the bot harness: paper accounts on the
 * given prices, live accounts through real ccxt to whatever the runtime options point at.
 */
import { createEngine, type Engine } from '../../src/engine/create-engine.ts';
import type { CouncilOptions } from '../../src/engine/council.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createExchangeRuntime, type ExchangeRuntimeDeps } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import type { MarketDataFeed } from '../../src/exchange/port.ts';
import { admin, type HarnessOptions } from './harness.ts';

/** `extra`: the built-in council and the sources it needs trusted; `onEngine` receives the engine (to run the council by hand) */
export function realEngine(
  runtime: Omit<ExchangeRuntimeDeps, 'paper'>,
  feed?: MarketDataFeed,
  extra: { council?: CouncilOptions; trustedSources?: string[]; onEngine?: (engine: Engine) => void } = {},
): NonNullable<HarnessOptions['engine']> {
  return async ({ db, box, notifier }) => {
    const exchanges = createExchangeRuntime({ ...runtime, paper: { store: createDrizzlePaperStore(db.db) } });
    const engine = createEngine({
      database: db,
      repos: createRepos(db.db, box),
      notifier,
      createExchange: (account) => exchanges.create(account),
      feeds: () => feed,
      ...(extra.council ? { council: extra.council } : {}),
      config: { trustedSources: extra.trustedSources ?? ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 }, adminTelegramIds: [admin.id] },
      options: { schedule: false },
    });
    await engine.start();
    extra.onEngine?.(engine);
    return {
      facade: engine.facade,
      bot: { posts: engine.posts },
      async stop() {
        await engine.stop();
        await exchanges.close();
      },
    };
  };
}
