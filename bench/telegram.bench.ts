/**
 * The Telegram layer under load (issue 15 item 5): 200 traders press Close at once while 1 000
 * alerts drain, all through one bot token against the Bot API emulator enforcing Telegram's limits
 * (429 with retry_after past ~30 messages/s overall or ~1/s per chat after a burst of 3). The real
 * bot (grammY runner, per-chat sequentialize, the shared send budget) and the real outbox and
 * delivery worker on an embedded database; behind the bot the in-memory fake engine, whose close
 * holds the position lock for EXCHANGE_MS "at the exchange". Prints toast latency (the toast says
 * "Closing …" at once), how long each trader waited for the result (the close alert), alert
 * throughput, the most messages the emulator saw in any one-second window, 429s and losses.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { createFreshPostgresDatabase, dropPostgresDatabase } from '../test/support/databases.ts';
import { openDatabase } from '../src/db/client.ts';
import { users } from '../src/db/schema.ts';
import { createBotStore } from '../src/db/repos/bot-state.ts';
import { createAuditRepo } from '../src/db/repos/audit.ts';
import { createRecipientsRepo } from '../src/db/repos/recipients.ts';
import { createAlerts } from '../src/notify/alerts.ts';
import { createOutboxRepo } from '../src/db/repos/outbox.ts';
import { createLogger } from '../src/log.ts';
import { createSecretBox } from '../src/security/secret-box.ts';
import { createBot } from '../src/bot/create-bot.ts';
import { runBot } from '../src/bot/run-bot.ts';
import { MESSAGE_METHODS, SendBudget } from '../src/telegram/send-budget.ts';
import type { EngineEvent } from '../src/engine/events.ts';
import { startBotApiEmulator, type TgUser } from '../test/emulators/bot-api.ts';
import { FakeEngineFacade, fakeDesk } from '../test/fakes/engine-facade.ts';
import { fmt, quantile, type Bench } from './lib.ts';

const TRADERS = Number(process.env.BENCH_TRADERS ?? 200);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 1000);
/** how long a close spends at the exchange, holding its position's lock (ms) */
const EXCHANGE_MS = 150;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function load(kind: 'pglite' | 'postgres'): Promise<void> {
  const traders: TgUser[] = Array.from({ length: TRADERS }, (_, i) => ({ id: 700_000 + i, first_name: `Trader${i}` }));
  const others: TgUser[] = Array.from({ length: ALERTS }, (_, i) => ({ id: 800_000 + i, first_name: `Other${i}` }));
  const emu = await startBotApiEmulator({ rateLimits: true, knownUsers: [...traders, ...others], answerTimeoutMs: 60_000 });
  const url = kind === 'postgres' ? await createFreshPostgresDatabase() : undefined;
  const database = await openDatabase(url ? { url } : { dataDir: 'memory://' });
  const logger = createLogger({ level: 'silent', pretty: false, secrets: [] });
  try {
    const rows = await database.db
      .insert(users)
      .values([...traders, ...others].map((p) => ({ telegramId: p.id, chatId: p.id, firstName: p.first_name })))
      .returning({ id: users.id, telegramId: users.telegramId });
    const userOf = new Map(rows.map((r) => [r.telegramId, r.id]));
    const box = createSecretBox(randomBytes(32).toString('base64'));
    const budget = new SendBudget();
    const alerts = createAlerts({ repos: { outbox: createOutboxRepo(database.db), recipients: createRecipientsRepo(database.db) }, token: emu.token, apiRoot: emu.url, logger, pollMs: 50, budget });
    const engine = new FakeEngineFacade({ notifier: alerts.notifier, auditRepo: createAuditRepo(database.db), desk: fakeDesk(database.db) });
    engine.controlDelayMs = EXCHANGE_MS;
    const bot = createBot({ token: emu.token, apiRoot: emu.url, logger, adminIds: [], engine, store: createBotStore(database.db, box), botInfo: emu.botInfo, budget });
    const polling = await runBot(bot, { timeoutSeconds: 1 });
    alerts.worker.start();
    const outbox = createOutboxRepo(database.db);
    const drained = async (limitMs: number) => {
      const until = Date.now() + limitMs;
      while ((await outbox.depth()) > 0 && Date.now() < until) await sleep(100);
    };

    // every trader holds one position, announced by its alert with the buttons
    for (const t of traders) await engine.open({ userId: userOf.get(t.id)! });
    await drained(5 * 60_000);
    const openedAlert = new Map(traders.map((t) => [t.id, emu.messages(t.id).find((m) => m.from === 'bot' && /POSITION OPENED/.test(m.text))!]));
    await sleep(1500); // every chat's burst allowance back

    const drainStart = Date.now();
    await Promise.all(others.map(async (o, k) => {
      const event: EngineEvent = { kind: 'stop_loss', userId: userOf.get(o.id)!, positionId: `p${k}`, symbol: 'BTC/USDT', side: 'long', exchange: 'binance', isPaper: true, price: 98_000, qty: 0.01, remainingQty: 0, pnl: -20, pct: -2 };
      await alerts.notifier.notify(event, `bench:${k}`);
    }));
    await sleep(3000); // the drain is at full pace when the traders press
    const pressedAt = Date.now();
    const toasts = await Promise.all(
      traders.map((t) => {
        const m = openedAlert.get(t.id)!;
        const started = Date.now();
        return emu.pressButtonLabeled(t, m.message_id, '✖ Close').answer.then((a) => ({ ms: Date.now() - started, text: a.text ?? '' }));
      }),
    );
    // each close's result (its alert) is queued once the close is done: wait for every one
    await Promise.all(traders.map((t) => emu.waitForMessage(t.id, /CLOSED BY YOU/, 10 * 60_000)));
    await drained(10 * 60_000);
    const drainEnd = Date.now();
    await alerts.worker.stop();
    await polling.stop();

    const latencies = toasts.map((t) => t.ms).sort((a, b) => a - b);
    const closing = toasts.filter((t) => t.text.startsWith('Closing')).length;
    // the result: each trader's close alert (CLOSED BY YOU), from the press to its arrival at the emulator
    const traderIds = new Set(traders.map((t) => t.id));
    const results = emu
      .calls('sendMessage')
      .filter((c) => c.ok && c.time >= pressedAt && traderIds.has(Number(c.params.chat_id)) && /CLOSED BY YOU/.test(String(c.params.text)))
      .map((c) => c.time - pressedAt)
      .sort((a, b) => a - b);
    const calls = emu.calls().filter((c) => MESSAGE_METHODS.has(c.method) && c.time >= drainStart);
    const ok = calls.filter((c) => c.ok).map((c) => c.time).sort((a, b) => a - b);
    const limited = calls.filter((c) => c.status === 429).length;
    let maxWindow = 0;
    for (let i = 0, j = 0; j < ok.length; j++) {
      while (ok[j]! - ok[i]! >= 1000) i++;
      maxWindow = Math.max(maxWindow, j - i + 1);
    }
    const alertSends = emu.calls('sendMessage').filter((c) => c.ok && c.time >= drainStart).map((c) => c.time).sort((a, b) => a - b);
    const delivered = {
      others: others.reduce((n, o) => n + emu.messages(o.id).filter((m) => m.from === 'bot').length, 0),
      closes: traders.reduce((n, t) => n + emu.messages(t.id).filter((m) => m.from === 'bot' && /CLOSED BY YOU/.test(m.text)).length, 0),
    };
    const expected = ALERTS + TRADERS;
    const got = delivered.others + delivered.closes;
    const spanS = (alertSends[alertSends.length - 1]! - alertSends[0]!) / 1000;
    console.log(`[${kind}] ${TRADERS} traders press Close at once (${EXCHANGE_MS} ms at the exchange each) ${((pressedAt - drainStart) / 1000).toFixed(1)} s into a drain of ${ALERTS} alerts to ${ALERTS} other chats:`);
    console.log(`  toasts: ${closing}/${TRADERS} "Closing…", p50 ${latencies[Math.floor(TRADERS / 2)]} ms, p95 ${quantile(latencies, 0.95)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies[latencies.length - 1]} ms (target: every one within 1 000 ms; ${latencies.filter((l) => l > 1000).length} over)`);
    console.log(`  results: ${results.length}/${TRADERS} close alerts, press → alert p50 ${quantile(results, 0.5)} ms, max ${results[results.length - 1]} ms (they go before the backlog, at the token's pace)`);
    console.log(`  alerts: ${got}/${expected} delivered (${ALERTS} + ${TRADERS} close alerts), lost ${Math.max(0, expected - got)}, ${fmt((alertSends.length - 1) / spanS, 1)} msg/s first to last alert, drained in ${fmt((drainEnd - drainStart) / 1000, 1)} s (target ≥ 27 msg/s, 0 lost)`);
    console.log(`  the token's limit: at most ${maxWindow} messages in any 1 s window at the emulator (limit 30), ${limited} answers 429, ${calls.length - ok.length - limited} other failures`);
  } finally {
    await emu.close();
    await database.close();
    if (url) await dropPostgresDatabase(url);
  }
}

export default {
  name: 'telegram: 200 traders press Close while 1 000 alerts drain, one token',
  async run() {
    console.log(`[pglite] load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
    await load('pglite');
    if (process.env.TEST_DATABASE_URL) {
      console.log(`[postgres] load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
      await load('postgres');
    }
  },
} satisfies Bench;
