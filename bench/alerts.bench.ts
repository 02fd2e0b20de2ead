/**
 * Alert delivery under Telegram's limits: 1 000 alerts to 1 000 chats through the alert outbox and
 * the delivery worker, against the Bot API emulator enforcing ~30 messages/s overall and ~1/s per
 * chat (429 with retry_after beyond). Prints throughput, 429s and messages lost. Then 10 alerts
 * to each of 5 chats, where the per-chat pace is the limit.
 */
import { openDatabase } from '../src/db/client.ts';
import { users } from '../src/db/schema.ts';
import { createRecipientsRepo } from '../src/db/repos/recipients.ts';
import { createAlerts } from '../src/notify/alerts.ts';
import { createOutboxRepo } from '../src/db/repos/outbox.ts';
import { createLogger } from '../src/log.ts';
import type { EngineEvent } from '../src/engine/events.ts';
import { startBotApiEmulator, type TgUser } from '../test/emulators/bot-api.ts';
import { fmt, type Bench } from './lib.ts';

async function deliver(chats: number, perChat: number): Promise<void> {
  const people: TgUser[] = Array.from({ length: chats }, (_, i) => ({ id: 900_000 + i, first_name: `T${i}` }));
  const emu = await startBotApiEmulator({ rateLimits: true, knownUsers: people });
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    const rows = await database.db
      .insert(users)
      .values(people.map((p) => ({ telegramId: p.id, chatId: p.id, firstName: p.first_name })))
      .returning({ id: users.id, chatId: users.chatId });
    const alerts = createAlerts({
      repos: { outbox: createOutboxRepo(database.db), recipients: createRecipientsRepo(database.db) },
      token: emu.token,
      apiRoot: emu.url,
      logger: createLogger({ level: 'silent', pretty: false, secrets: [] }),
      pollMs: 50,
    });
    const total = chats * perChat;
    for (let k = 0; k < perChat; k++) {
      for (const r of rows) {
        const event: EngineEvent = { kind: 'stop_loss', userId: r.id, positionId: `p${k}`, symbol: 'BTC/USDT', side: 'long', exchange: 'binance', isPaper: true, price: 98_000, qty: 0.01, remainingQty: 0, pnl: -20, pct: -2 };
        await alerts.notifier.notify(event, `bench:${r.id}:${k}`);
      }
    }
    const outbox = createOutboxRepo(database.db);
    const start = Date.now();
    alerts.worker.start();
    const deadline = start + 10 * 60_000;
    while ((await outbox.depth()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const elapsedS = (Date.now() - start) / 1000;
    await alerts.worker.stop();

    const ok = emu.calls('sendMessage').filter((c) => c.ok);
    const limited = emu.calls('sendMessage').filter((c) => c.status === 429).length;
    const delivered = people.reduce((n, p) => n + emu.messages(p.id).filter((m) => m.from === 'bot').length, 0);
    const times = ok.map((c) => c.time).sort((a, b) => a - b);
    const spanS = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : 0;
    console.log(
      `${chats} chats × ${perChat} alerts = ${total}: delivered ${delivered}, lost ${total - Math.min(delivered, total)}, duplicates ${Math.max(0, delivered - total)}, ` +
        `429 answers ${limited}; ${fmt(elapsedS, 1)} s outbox to drained, ${fmt(spanS > 0 ? (ok.length - 1) / spanS : ok.length, 1)} msg/s first to last send`,
    );
  } finally {
    await emu.close();
    await database.close();
  }
}

export default {
  name: 'alerts: outbox → Telegram under its limits',
  async run() {
    await deliver(1000, 1);
    await deliver(5, 10);
  },
} satisfies Bench;
