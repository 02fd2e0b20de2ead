/**
 * In-process end-to-end harness: the real grammY bot (createBot) and the real alert outbox and
 * delivery worker, against the Bot API emulator and a fresh database, over the fake engine facade
 * (or any EngineFacade). The test plays the trader through the emulator.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Bot } from 'grammy';
import { startBotApiEmulator, type BotApiEmulator, type BotApiEmulatorOptions, type MessageEvent, type MessageView, type TgUser } from '../emulators/bot-api.ts';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createBot, registerCommands, type BotDeps } from '../../src/bot/create-bot.ts';
import type { BotContext } from '../../src/bot/context.ts';
import { createBotStore } from '../../src/db/repos/bot-state.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createAuditRepo } from '../../src/db/repos/audit.ts';
import { createSecretBox, type SecretBox } from '../../src/security/secret-box.ts';
import { createOutboxRepo } from '../../src/db/repos/outbox.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { createAlerts, type Alerts } from '../../src/notify/alerts.ts';
import { SendBudget, type SendLimits } from '../../src/telegram/send-budget.ts';
import { runBot } from '../../src/bot/run-bot.ts';
import type { EngineFacade } from '../../src/engine/facade.ts';
import type { Notifier } from '../../src/engine/events.ts';
import { createLogger } from '../../src/log.ts';
import { FakeEngineFacade, fakeDesk } from '../fakes/engine-facade.ts';

export const alice: TgUser = { id: 81001, first_name: 'Alice', username: 'alice' };
export const bob: TgUser = { id: 81002, first_name: 'Bob', username: 'bob' };
export const admin: TgUser = { id: 81009, first_name: 'Ada', username: 'ada_admin' };

export interface Harness {
  emu: BotApiEmulator;
  db: TestDatabase;
  box: SecretBox;
  engine: EngineFacade;
  alerts: Alerts;
  /** restarts the bot process-equivalent (new Bot, same database): dialogs must survive */
  restartBot(): Promise<void>;
  /** the user sends text; resolves with the bot's next message or edit matching `expect` */
  say(user: TgUser, text: string, expectMessage?: RegExp | string): Promise<MessageEvent>;
  press(user: TgUser, message: MessageView, label: RegExp | string): Promise<{ answer: string | undefined; next?: MessageEvent }>;
  lastBotMessage(user: TgUser, match?: RegExp): MessageView;
  /** /positions, then the table's button matching `button`: resolves with the position's card (matching `card`) */
  positionCard(user: TgUser, button: RegExp, card: RegExp): Promise<MessageEvent>;
  /** waits until `message` (by id) shows text matching `pattern`, after an edit */
  edited(user: TgUser, message: { message_id: number }, pattern: RegExp): Promise<MessageView>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  kind?: 'pglite' | 'postgres';
  /** build the engine once the database and notifier exist; default: the fake facade */
  engine?: (h: { db: TestDatabase; box: SecretBox; notifier: Notifier }) => Promise<{ facade: EngineFacade; stop(): Promise<void>; bot?: Pick<BotDeps, 'webhook' | 'posts'> }>;
  adminIds?: number[];
  pollMs?: number;
  /** options of the Bot API emulator (rate limits, how long a pressed button waits for its answer) */
  emulator?: BotApiEmulatorOptions;
  /** the outgoing budget shared by replies and alerts; default TEST_PACING (Telegram's own in test/bot/concurrency.e2e.test.ts and test/notify/delivery.test.ts) */
  pacing?: Partial<SendLimits>;
}

/**
 * Telegram's pacing (1 message a second to a chat) would make a test of six alerts take six
 * seconds; the order and one-at-a-time per chat stay, only the gap shrinks.
 */
export const TEST_PACING: SendLimits = { globalPerSecond: 200, globalBurst: 10, perChatPerSecond: 50, perChatBurst: 10, alertGapMs: 20 };

export function harnessKinds(): Array<'pglite' | 'postgres'> {
  return databaseKinds();
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emu = await startBotApiEmulator(options.emulator);
  const db = await openTestDatabase(options.kind ?? 'pglite');
  const box = createSecretBox(randomBytes(32).toString('base64'));
  const logger = createLogger({ level: 'silent', pretty: false, secrets: [] });
  const budget = new SendBudget({ ...TEST_PACING, ...options.pacing });
  const alerts = createAlerts({ repos: { outbox: createOutboxRepo(db.db), recipients: createRecipientsRepo(db.db) }, token: emu.token, apiRoot: emu.url, logger, pollMs: options.pollMs ?? 50, budget });
  const built = options.engine ? await options.engine({ db, box, notifier: alerts.notifier }) : undefined;
  const engine = built ? built.facade : new FakeEngineFacade({ notifier: alerts.notifier, accountsRepo: createAccountsRepo(db.db, box), auditRepo: createAuditRepo(db.db), desk: fakeDesk(db.db, options.adminIds ?? [admin.id]) });
  const adminIds = options.adminIds ?? [admin.id];

  let bot: Bot<BotContext>;
  let polling: Awaited<ReturnType<typeof runBot>>;
  const startBot = async () => {
    bot = createBot({ token: emu.token, apiRoot: emu.url, logger, adminIds, engine, store: createBotStore(db.db, box), botInfo: emu.botInfo, budget, ...built?.bot });
    const calls = emu.calls('getUpdates').length;
    polling = await runBot(bot, { timeoutSeconds: 1 });
    // wait until it polls
    await emu.waitForCall('getUpdates', () => emu.calls('getUpdates').length > calls, 5000);
  };
  await startBot();
  await registerCommands(bot!, adminIds);
  alerts.worker.start();

  const lastBotMessage = (user: TgUser, match?: RegExp) => {
    const list = emu.messages(user.id).filter((m) => m.from === 'bot' && !m.deleted && (!match || match.test(m.text)));
    const m = list[list.length - 1];
    if (!m) throw new Error(`no bot message${match ? ` matching ${match}` : ''}\n${emu.describeChat(user.id)}`);
    return m;
  };

  return {
    emu,
    db,
    box,
    engine,
    alerts,
    async restartBot() {
      await polling.stop();
      await startBot();
    },
    async say(user, text, expectMessage) {
      emu.sendText(user, text);
      try {
        return await emu.waitForMessage(user.id, expectMessage, 8000);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${emu.describeChat(user.id)}`);
      }
    },
    async press(user, message, label) {
      const button = message.buttons.flat().find((b) => (typeof label === 'string' ? b.text === label : label.test(b.text)));
      expect(button, `button ${String(label)} on message #${message.message_id}: ${message.text}`).toBeDefined();
      const handle = emu.pressButton(user, message.message_id, button!.callback_data!);
      const answer = await handle.answer;
      return { answer: answer.text };
    },
    lastBotMessage,
    async positionCard(user, button, card) {
      emu.sendText(user, '/positions');
      const table = await emu.waitForMessage(user.id, /Open positions/, 8000);
      const data = table.buttons.flat().find((b) => button.test(b.text))?.callback_data;
      expect(data, `a button ${String(button)} under the /positions table: ${table.text}`).toBeDefined();
      await emu.pressButton(user, table.message_id, data!).answer;
      return emu.waitForMessage(user.id, card, 8000);
    },
    async edited(user, message, pattern) {
      return emu.waitForMessage(user.id, (m) => m.message_id === message.message_id && pattern.test(m.text), 8000);
    },
    async stop() {
      await alerts.worker.stop();
      await polling.stop();
      await built?.stop();
      await emu.close();
      await db.destroy();
    },
  };
}

/** `user` says /start and connects a Paper spot account through /connect; resolves with their user id */
export async function connectPaperSpot(h: Harness, user: TgUser): Promise<string> {
  await h.say(user, '/start', new RegExp(`Welcome, ${user.first_name}`));
  const ask = await h.say(user, '/connect', /Which exchange/);
  await h.press(user, ask, /Paper/);
  await h.press(user, await h.emu.waitForMessage(user.id, /which mode/), /^Spot/);
  await h.emu.waitForMessage(user.id, /Paper account ready/);
  return (await createRecipientsRepo(h.db.db).byTelegramId(user.id))!.userId;
}
