/**
 * Try the bot by hand against the Bot API emulator: the real bot, the real engine on a paper
 * exchange, the alert outbox, an in-memory database, prices you set yourself. You type as the
 * trader "Alice" (an admin too):
 *
 *   npx tsx test/bot/try-bot.ts            (then type; or pipe a script into it)
 *
 *   /start, /connect, any text     sent as Alice
 *   :press <label regex>           presses a button on the newest bot message that has it
 *   :price BTC/USDT 101000         moves the market (the monitor sees the tick)
 *   :signal BTC/USDT BUY 0.8       a titan_v3 signal for everyone
 *   :wait <ms>                     waits (alerts are paced at 1/s per chat)
 *   :quit
 */
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { startBotApiEmulator, type MessageView, type TgUser } from '../emulators/bot-api.ts';
import { openDatabase } from '../../src/db/client.ts';
import { tradingSignals } from '../../src/db/schema.ts';
import { createBotStore } from '../../src/db/repos/bot-state.ts';
import { createRepos } from '../../src/db/repos/index.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { createLogger } from '../../src/log.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { createAlerts } from '../../src/notify/alerts.ts';
import { runBot } from '../../src/bot/run-bot.ts';
import { SendBudget } from '../../src/telegram/send-budget.ts';
import { createOutboxRepo } from '../../src/db/repos/outbox.ts';
import { createEngine } from '../../src/engine/create-engine.ts';
import { createExchangeRuntime } from '../../src/exchange/runtime.ts';
import { createDrizzlePaperStore } from '../../src/db/repos/paper-store.ts';
import { createBot, registerCommands } from '../../src/bot/create-bot.ts';
import { ManualFeed } from '../fakes/manual-feed.ts';

const alice: TgUser = { id: 7_000_001, first_name: 'Alice', username: 'alice' };

const emu = await startBotApiEmulator();
const database = await openDatabase({ dataDir: 'memory://' });
const box = createSecretBox(randomBytes(32).toString('base64'));
const logger = createLogger({ level: 'silent', pretty: false, secrets: [] });
const feed = new ManualFeed('binance', { now: () => Date.now() });
feed.push('BTC/USDT', 100_000);
feed.push('ETH/USDT', 3_000);
const runtime = createExchangeRuntime({ paper: { store: createDrizzlePaperStore(database.db) }, priceFeed: feed });
const budget = new SendBudget();
const alerts = createAlerts({ repos: { outbox: createOutboxRepo(database.db), recipients: createRecipientsRepo(database.db) }, token: emu.token, apiRoot: emu.url, logger, budget });
const engine = createEngine({
  database,
  repos: createRepos(database.db, box),
  notifier: alerts.notifier,
  createExchange: (account) => runtime.create(account),
  feeds: () => feed,
  config: { trustedSources: ['titan_v3'], intervals: { signalSweepSeconds: 300, monitorSweepSeconds: 5 }, adminTelegramIds: [alice.id] },
  outboxDepth: () => createOutboxRepo(database.db).depth(),
  logger,
});
await engine.start();
const bot = createBot({ token: emu.token, apiRoot: emu.url, logger, adminIds: [alice.id], engine: engine.facade, store: createBotStore(database.db, box), botInfo: emu.botInfo, budget });
const polling = await runBot(bot, { timeoutSeconds: 1 });
await registerCommands(bot, [alice.id]);
alerts.worker.start();

const seen = new Map<number, number>();
function show(): void {
  for (const m of emu.messages(alice.id)) {
    const version = m.edit_count + (m.deleted ? 1000 : 0);
    if (seen.get(m.message_id) === version) continue;
    const first = !seen.has(m.message_id);
    seen.set(m.message_id, version);
    if (m.from === 'user') {
      if (m.deleted) console.log(`   (your message #${m.message_id} was deleted by the bot)`);
      continue;
    }
    const tag = first ? `#${m.message_id}` : `#${m.message_id} (edited)`;
    const photo = m.kind === 'photo' ? ` [photo ${m.photo?.width}×${m.photo?.height}]` : '';
    console.log(`\n🤖 ${tag}${photo}\n${m.text}`);
    const buttons = m.buttons.map((row) => row.map((b) => `[${b.text}]`).join(' ')).filter(Boolean);
    if (buttons.length) console.log(buttons.join('\n'));
  }
}
const ticker = setInterval(show, 100);

function newestWithButton(label: RegExp): { message: MessageView; data: string } | undefined {
  const list = emu.messages(alice.id).filter((m) => m.from === 'bot' && !m.deleted).reverse();
  for (const m of list) {
    const b = m.buttons.flat().find((x) => label.test(x.text));
    if (b?.callback_data) return { message: m, data: b.callback_data };
  }
  return undefined;
}

console.log('Bot API emulator at', emu.url, '— you are Alice. Try /start, /connect, :signal BTC/USDT BUY 0.8, :press Close');
const rl = createInterface({ input: process.stdin, terminal: false });
for await (const raw of rl) {
  const line = raw.trim();
  if (!line) continue;
  console.log(`\n👤 ${line}`);
  const [cmd, ...rest] = line.split(/\s+/);
  if (cmd === ':quit') break;
  if (cmd === ':wait') await new Promise((r) => setTimeout(r, Number(rest[0] ?? 1000)));
  else if (cmd === ':price') feed.push(rest[0]!, Number(rest[1]));
  else if (cmd === ':signal') {
    await database.db.insert(tradingSignals).values({ symbol: rest[0]!, action: (rest[1] ?? 'BUY').toUpperCase(), confidence: Number(rest[2] ?? 0.8), source: 'titan_v3', reasoning: 'typed by hand' });
  } else if (cmd === ':press') {
    const target = newestWithButton(new RegExp(rest.join(' ')));
    if (!target) console.log('   (no button matches)');
    else {
      const answer = await emu.pressButton(alice, target.message.message_id, target.data).answer.catch(() => undefined);
      if (answer?.text) console.log(`   💬 ${answer.text}`);
    }
  } else emu.sendText(alice, line);
  await new Promise((r) => setTimeout(r, 600));
  show();
}
await new Promise((r) => setTimeout(r, 1500));
show();
clearInterval(ticker);
await alerts.worker.stop();
await polling.stop();
await engine.stop();
await runtime.close();
await emu.close();
await database.close();
