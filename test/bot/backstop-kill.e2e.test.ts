/**
 * Issue 12 end to end, the whole app as `npm start` runs it: a USD-M position opened by the real
 * process (signal sweep → real ccxt → Binance emulator, backstop placed on the algo endpoints), the
 * process killed with SIGKILL, the price walked through the backstop while nothing runs (the
 * emulator fires the stop and closes the position), then the app started again: the exit is
 * recorded once as `exchange_stop` at the exchange's fill price, and the trader reads exactly one
 * alert about it in their Telegram chat (Bot API emulator). A third start records and says nothing more.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import { positions, tradingSettings, tradingSignals, trades } from '../../src/db/schema.ts';
import { fmtPrice } from '../../src/telegram/format/numbers.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { startBotApiEmulator, type TgUser } from '../emulators/bot-api.ts';
import { startBinanceEmulator } from '../emulators/exchange/binance-server.ts';
import { startBotProcess, type BotProcess } from '../support/bot-process.ts';
import { createFreshPostgresDatabase, databaseKinds, dropPostgresDatabase, seedPgliteDataDir } from '../support/databases.ts';

const alice: TgUser = { id: 70_612, first_name: 'Alice', username: 'alice_backstop' };
const EXCHANGE_STOP_TITLE = /CLOSED BY THE STOP ON THE EXCHANGE/;

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms.\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(databaseKinds())('the app on %s', (kind) => {
  it('kill -9 with a USD-M position open, the backstop fires while the app is down: at restart exchange_stop is recorded once at the fill price, one alert', { timeout: 300_000 }, async () => {
    const emu = await startBotApiEmulator();
    cleanups.push(() => emu.close());
    emu.addUser(alice);
    const binance = await startBinanceEmulator();
    cleanups.push(() => binance.close());
    binance.book.futuresWallet = 10_000;
    binance.setPrice('BTCUSDT', 50_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'ase-e2e-backstop-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let url: string | undefined;
    if (kind === 'postgres') {
      url = await createFreshPostgresDatabase({ migrated: true });
      const dropUrl = url;
      cleanups.push(() => dropPostgresDatabase(dropUrl));
    } else seedPgliteDataDir(dataDir);
    const secretKey = randomBytes(32).toString('base64');
    // the exit journal lives in DATA_DIR either way
    const where = url ? { url } : { dataDir };

    // the trader: a USD-M account on the Binance emulator, futures mode, and a trusted signal waiting
    {
      const database = await openDatabase(where);
      const { user } = await createUsersRepo(database.db).upsertFromTelegram({ telegramId: alice.id, chatId: alice.id });
      await database.db.update(tradingSettings).set({ mode: 'futures' }).where(sql`${tradingSettings.userId} = ${user.id}`);
      await createAccountsRepo(database.db, createSecretBox(secretKey, [])).create({
        userId: user.id,
        exchange: 'binance',
        mode: 'futures',
        marginMode: 'cross',
        credentials: { apiKey: binance.apiKey, secret: binance.secret },
      });
      await database.db.insert(tradingSignals).values({ symbol: 'BTC/USDT', action: 'BUY', confidence: 0.9, source: 'titan_v3', createdAt: new Date() });
      await database.close();
    }

    const env = {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.url,
      DATA_DIR: dataDir,
      DATABASE_URL: url,
      SECRET_KEY: secretKey,
      EXCHANGE_OPTIONS: JSON.stringify({ binance: { timeout: 10_000, urls: { api: binance.ccxtApiUrls() } } }),
      LOG_LEVEL: process.env['BK_LOG'] ?? 'info',
    };
    const start = (): BotProcess => {
      const app = startBotProcess({ env });
      cleanups.push(() => app.stop('SIGKILL'));
      return app;
    };
    const liveStops = () => binance.book.algoOrders.filter((a) => a.algoStatus === 'NEW');
    const openAmount = () => [...binance.book.positions.values()].reduce((sum, p) => sum + Math.abs(p.amount), 0);
    const alerts = () => emu.messages(alice.id).filter((m) => m.from === 'bot' && EXCHANGE_STOP_TITLE.test(m.text));

    // life 1: the start-up sweep opens the position and the backstop goes on the exchange
    const first = start();
    const stop = await until('a backstop on the exchange', () => (liveStops().length === 1 && openAmount() > 0 ? liveStops()[0] : undefined), 120_000, first.output);
    await emu.waitForMessage(alice.id, /POSITION OPENED/, 60_000);
    const qty = openAmount();
    expect(stop).toMatchObject({ side: 'SELL', orderType: 'STOP_MARKET', reduceOnly: true, quantity: qty });
    expect(stop.triggerPrice).toBeLessThan(50_000);

    const killed = await first.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    // nothing runs: the price walks down through the bot's stop and the backstop; the exchange closes the position
    for (const price of [49_500, 49_000, stop.triggerPrice + 20, stop.triggerPrice - 50]) binance.setPrice('BTCUSDT', price);
    expect(openAmount()).toBe(0);
    const fill = binance.book.trades.at(-1)!;
    expect(fill).toMatchObject({ side: 'SELL', price: stop.triggerPrice - 50, qty });
    expect(stop.algoStatus).not.toBe('NEW');

    // life 2: recovery finds the fired stop, records the exit and tells the trader once
    const second = start();
    await emu.waitForMessage(alice.id, EXCHANGE_STOP_TITLE, 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\nApp output:\n${second.output()}\nChat:\n${emu.describeChat(alice.id)}`);
    });
    await second.waitForOutput('positions restored and reconciled', 60_000);
    expect((await second.stop('SIGTERM')).code).toBe(0);

    // life 3: nothing more to record, nothing more to say
    const third = start();
    await third.waitForOutput('positions restored and reconciled', 120_000);
    await new Promise((r) => setTimeout(r, 3_000)); // the alert outbox's time to send anything it had
    expect((await third.stop('SIGTERM')).code).toBe(0);

    expect(alerts(), emu.describeChat(alice.id)).toHaveLength(1);
    expect(alerts()[0]!.text).toContain(`at ${fmtPrice(fill.price)}`);

    const database = await openDatabase({ ...where, migrate: false });
    cleanups.push(() => database.close());
    const rows = await database.db.select().from(trades);
    expect(rows).toHaveLength(1);
    const [trade] = rows;
    expect(trade!.closeReason).toBe('exchange_stop');
    expect(Number(trade!.exitPrice)).toBe(fill.price);
    expect(Number(trade!.quantity)).toBe(qty);
    // gross P&L is the exchange's realized P&L of the fill
    expect(Number(trade!.pnl) + Number(trade!.fee)).toBeCloseTo(fill.realizedPnl, 6);
    const [position] = await database.db.select().from(positions).where(eq(positions.id, trade!.positionId!));
    expect(position!.status).toBe('closed');
    expect(binance.book.algoOrders.filter((a) => a.algoStatus === 'NEW')).toEqual([]);
  });
});
