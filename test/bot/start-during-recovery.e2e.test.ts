/**
 * End to end: the real app process (as `npm start` runs it) restarts over an open position on a
 * live Binance account while the exchange is slow — the Binance emulator holds every account,
 * order and trade request unanswered until ccxt gives up (20 s each) — so the engine's recovery
 * and the catch-up signal sweep take long. The trader is answered at once all the same: Telegram
 * polling and the alert outbox start together with recovery, not after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import { createEngine } from '../../src/engine/create-engine.ts';
import { createExchangeFactory } from '../../src/exchange/factory.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { startBotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';
import { MemoryNotifier } from '../fakes/memory-notifier.ts';
import { startBotProcess } from '../support/bot-process.ts';
import { seedPgliteDataDir } from '../support/databases.ts';
import { systemClock } from '../../src/engine/clock.ts';

const alice: TgUser = { id: 70_501, first_name: 'Alice', username: 'alice_restarts' };
/** ms: ccxt's timeout in the app; every held request costs this much */
const EXCHANGE_TIMEOUT_MS = 20_000;
/** ms from the app's database being ready to the trader's answer (issue 18: within 5 s of start) */
const ANSWER_WITHIN_MS = 5_000;
/** the signed requests recovery and the signal sweep make: each is held until the client gives up */
const SLOW_PATHS = ['/api/v3/account', '/api/v3/order', '/api/v3/openOrders', '/api/v3/allOrders', '/api/v3/myTrades'];

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('answers a trader within 5 s of start while recovery and the catch-up sweep wait on a slow exchange', { timeout: 240_000 }, async () => {
  const emu = await startBotApiEmulator();
  cleanups.push(() => emu.close());
  const binance = await startBinanceEmulator();
  cleanups.push(() => binance.close());
  binance.book.spot('USDT').free = 10_000;
  binance.setPrice('BTCUSDT', 100);
  const dataDir = mkdtempSync(join(tmpdir(), 'ase-e2e-recovery-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  seedPgliteDataDir(dataDir);
  const secretKey = randomBytes(32).toString('base64');
  const binanceOptions = { timeout: EXCHANGE_TIMEOUT_MS, urls: { api: binance.ccxtApiUrls() } };

  // before the restart: the engine opened a position on the trader's Binance account, and a new signal waits
  const database = await openDatabase({ dataDir });
  const repos = createRepos(database.db, createSecretBox(secretKey, []));
  const accounts = repos.accounts;
  const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: alice.id, chatId: alice.id });
  await accounts.create({ userId: user.id, exchange: 'binance', mode: 'spot', credentials: { apiKey: binance.apiKey, secret: binance.secret } });
  const feed = new ManualFeed('binance', systemClock);
  feed.setPrice('BTC/USDT', 100);
  const factory = createExchangeFactory({ options: { binance: { ...binanceOptions, timeout: 5_000 } } });
  const engine = createEngine({
    database,
    repos,
    notifier: new MemoryNotifier(),
    createExchange: (account) => factory.create(account),
    feeds: (exchange) => (exchange === 'binance' ? feed : undefined),
    config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 } },
    options: { schedule: false },
  });
  await engine.start();
  await database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', createdAt: new Date() });
  await engine.sweepSignals();
  await engine.settle();
  expect(await engine.facade.listPositions(user.id)).toHaveLength(1);
  await engine.stop();
  await database.db.insert(tradingSignals).values({ symbol: 'ETH/USDT', action: 'BUY', confidence: 0.8, source: 'titan_v3', createdAt: new Date() });
  await database.close();

  // the exchange turns slow: every account, order and trade request goes unanswered
  for (const path of SLOW_PATHS) binance.inject({ method: 'GET', path, times: 100, fault: { kind: 'timeout' } });

  const app = startBotProcess({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      DATA_DIR: dataDir,
      SECRET_KEY: secretKey,
      EXCHANGE_OPTIONS: JSON.stringify({ binance: binanceOptions }),
      LOG_LEVEL: 'info',
    },
  });
  cleanups.push(() => app.stop('SIGKILL'));
  const spawnedAt = Date.now();
  await app.waitForOutput('database ready', 120_000);
  const readyAt = Date.now();
  emu.sendCommand(alice, 'start');
  const answer = await emu.waitForMessage(alice.id, undefined, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\nApp output:\n${app.output()}`);
  });
  const answeredAt = Date.now();
  const output = app.output();
  console.log(JSON.stringify({ spawnToReadyMs: readyAt - spawnedAt, readyToAnswerMs: answeredAt - readyAt }));

  expect(answer.text, output).toMatch(/welcome back/i);
  // recovery was still waiting on the exchange: the engine had not started, nor the sweep run
  expect(output).not.toContain('engine started');
  expect(output).not.toContain('positions restored and reconciled');
  expect(binance.requests.some((r) => SLOW_PATHS.includes(r.path))).toBe(true);
  expect(answeredAt - readyAt, output).toBeLessThan(ANSWER_WITHIN_MS);
});
