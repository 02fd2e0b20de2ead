/**
 * Trader and admin commands through the Bot API emulator: /help, the registered menu, /balance,
 * /trades, /pnl (with its chart), /signals, /pause, /resume, bad arguments, and the admin's
 * /status, /users, /pause all|<id> with plain refusals for everyone else, all audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { desc } from 'drizzle-orm';
import { admin, alice, bob, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';
import { auditLog } from '../../src/db/schema.ts';

let h: Harness;
let fake: FakeEngineFacade;
beforeEach(async () => {
  h = await startHarness();
  fake = h.engine as FakeEngineFacade;
});
afterEach(async () => {
  await h.stop();
});

async function withPaper(user = alice) {
  await h.say(user, '/start', /Welcome/);
  const ask = await h.say(user, '/connect', /Which exchange/);
  await h.press(user, ask, /Paper/);
  await h.press(user, await h.emu.waitForMessage(user.id, /which mode/), /^Spot/);
  await h.emu.waitForMessage(user.id, /Paper account ready/);
  return fake.accounts[fake.accounts.length - 1]!;
}

describe('trader commands', () => {
  it('registers the command menu, and /help lists it (admins see theirs too)', async () => {
    const menu = h.emu.commands() as Array<{ command: string }>;
    expect(menu.map((c) => c.command)).toEqual(['start', 'connect', 'accounts', 'positions', 'balance', 'trades', 'pnl', 'daily', 'performance', 'signals', 'settings', 'signal', 'webhook', 'pause', 'resume', 'cancel', 'help']);
    // an admin's own menu is set when their chat exists (at /start)
    await h.say(admin, '/start', /Welcome/);
    await h.emu.waitForCall('setMyCommands', (c) => JSON.stringify(c.params).includes(String(admin.id)) && c.ok);
    const adminMenu = h.emu.commands({ type: 'chat', chat_id: admin.id }) as Array<{ command: string }>;
    expect(adminMenu.map((c) => c.command)).toEqual(expect.arrayContaining(['status', 'users']));
    const help = await h.say(alice, '/help', /\/positions — Open positions/);
    expect(help.text).not.toContain('/status');
    const adminHelp = await h.say(admin, '/help', /Admin/);
    expect(adminHelp.text).toContain('/status');
  });

  it('asks for /start before anything else', async () => {
    for (const c of ['/positions', '/balance', '/trades', '/pnl', '/daily', '/performance', '/signals', '/settings', '/pause', '/connect', '/accounts']) {
      await h.say(bob, c, /Send \/start first/);
    }
  });

  it('/balance, /trades [n], /pnl [period] with a chart, /signals', async () => {
    const account = await withPaper();
    const balance = await h.say(alice, '/balance', /Balances/);
    expect(balance.text).toContain('USDT: 10,000.00 (free 9,000.00, in use 1,000.00)');
    expect(balance.text).toContain('BTC: 0.01');

    await h.say(alice, '/trades', /No closed trades yet/);
    await h.say(alice, '/pnl', /No closed trades in the last 7 days/);
    // two round trips: +9.80 and −20.20 net of fees
    const p1 = await fake.open({ userId: account.userId, accountId: account.id, entryPrice: 100_000, qty: 0.01 });
    fake.setPrice('BTC/USDT', 101_000);
    await fake.closePosition({ telegramId: alice.id }, account.userId, p1.id, 1);
    const p2 = await fake.open({ userId: account.userId, accountId: account.id, entryPrice: 100_000, qty: 0.01 });
    fake.setPrice('BTC/USDT', 99_000);
    await fake.closePosition({ telegramId: alice.id }, account.userId, p2.id, 1);

    const trades = await h.say(alice, '/trades 5', /Last 2 trades/);
    expect(trades.text).toContain('🔴 BTC/USDT long 0.01 · 100,000 → 99,000 · −11.99 USDT');
    expect(trades.text).toContain('🟢 BTC/USDT long 0.01 · 100,000 → 101,000 · +7.99 USDT');
    await h.say(alice, '/trades abc', /Usage: \/trades \[n\]/);
    await h.say(alice, '/trades 500', /Usage: \/trades \[n\]/);

    const pnl = await h.say(alice, '/pnl week', /P&L, last 7 days/);
    expect(pnl.kind).toBe('photo');
    expect(pnl.photo?.width).toBe(800);
    expect(pnl.text).toContain('Net P&L: −4.00 USDT');
    expect(pnl.text).toContain('Trades: 2 · wins 1 · losses 1');
    expect(pnl.text).toContain('Win rate: 50.00 %');
    expect(pnl.text).toContain('Profit factor: 0.67');
    await h.say(alice, '/pnl day', /last 24 hours/);
    await h.say(alice, '/pnl year', /Usage: \/pnl \[day\|week\|month\]/);

    fake.addSignal(account.userId, { symbol: 'ETH/USDT', action: 'BUY', confidence: 0.42, source: 'titan_v3', createdAt: new Date('2026-11-24T20:00:00Z'), outcome: 'rejected', reasons: ['confidence 0.42 < threshold 0.50'], positionId: null });
    fake.addSignal(account.userId, { symbol: 'BTC/USDT', action: 'BUY', confidence: 0.71, source: 'titan_v3', createdAt: new Date('2026-11-24T21:00:00Z'), outcome: 'executed', reasons: [], positionId: p1.id });
    const signals = await h.say(alice, '/signals', /Recent signals/);
    expect(signals.text).toContain('BUY BTC/USDT · conf 0.71 · titan_v3 · 2026-11-24 21:00 UTC\n   ✅ executed');
    expect(signals.text).toContain('🚫 rejected\n   confidence 0.42 &lt; threshold 0.50'.replace('&lt;', '<'));
  });

  it('/pause and /resume the trader; arguments are for admins only', async () => {
    const account = await withPaper();
    await h.say(alice, '/pause', /Paused: no new positions[\s\S]*stay protected/);
    expect(fake.paused.has(account.userId)).toBe(true);
    await h.say(alice, '/resume', /Resumed/);
    expect(fake.paused.has(account.userId)).toBe(false);
    await h.say(alice, '/pause all', /^This command is for administrators only\.$/);
    expect(fake.pausedGlobally).toBe(false);
  });

  it('unknown text and unknown buttons get a plain answer', async () => {
    await h.say(alice, '/start', /Welcome/);
    const m = await h.say(alice, 'what now', /I did not understand that/);
    const stale = h.emu.pressButton(alice, m.message_id, 'x:unknown', { force: true });
    expect((await stale.answer).text).toMatch(/This button has expired/);
  });
});

describe('admin commands', () => {
  it('/status, /users, /pause all, /pause <id>, /resume; everyone else is refused; all audited', async () => {
    const account = await withPaper(alice);
    await fake.open({ userId: account.userId, accountId: account.id });
    fake.lastCycle = { at: new Date(Date.now() - 65_000), signals: 4, executed: 1, rejected: 3 };
    fake.concentrated = [{ userId: account.userId, herfindahl: 1, positions: 1 }];
    await h.say(admin, '/start', /Welcome/);

    const status = await h.say(admin, '/status', /Status/);
    expect(status.text).toMatch(/Uptime: /);
    expect(status.text).toContain('Open positions: 1');
    expect(status.text).toContain('⚠️ Concentrated traders (Herfindahl ≥ 0.7 over open positions): 1');
    expect(status.text).toContain(`  ${alice.id} @alice: 1.00 over 1 position`);
    expect(status.text).toMatch(/Last signal cycle: .* \(1 min ago\): 4 signals, 1 executed, 3 rejected/);
    expect(status.text).toContain('✅ binance: 1 symbols');
    expect(status.text).toContain('Database: ✅ ok');
    // a symbol whose stream went quiet (re-polled over REST) is named
    fake.quietSymbols = ['ETH/USDT'];
    const quiet = await h.say(admin, '/status', /Status/);
    expect(quiet.text).toMatch(/⚠️ binance: 1 symbols, last tick .* ago; stream quiet on ETH\/USDT \(polled\)/);
    fake.quietSymbols = [];
    expect(status.text).toMatch(/Alert outbox: \d+ waiting/);

    const users = await h.say(admin, '/users', /Traders \(2\)/);
    expect(users.text).toContain(`${alice.id} Alice @alice · 1 account · 0 open`);

    await h.say(admin, '/pause all', /Paused for everyone/);
    expect(fake.pausedGlobally).toBe(true);
    await h.say(admin, '/resume all', /Resumed for everyone/);
    expect(fake.pausedGlobally).toBe(false);
    await h.say(admin, `/pause ${alice.id}`, new RegExp(`⏸ Trader ${alice.id}: Paused by an administrator: the trader cannot resume it themself`));
    expect(fake.paused.has(account.userId)).toBe(true);
    // the administrator's pause wins over the trader's own /resume, and the chat says so
    await h.say(alice, '/resume', /^⏸ An administrator has paused your trading; it stays paused until an administrator resumes it\./);
    expect(fake.paused.has(account.userId)).toBe(true);
    await h.say(admin, `/resume ${alice.id}`, new RegExp(`▶️ Trader ${alice.id}: Resumed`));
    expect(fake.paused.has(account.userId)).toBe(false);
    await h.say(admin, '/pause 999', /No trader with Telegram id 999/);
    await h.say(admin, '/pause someone', /Usage: \/pause/);

    await h.say(alice, '/status', /^This command is for administrators only\.$/);
    await h.say(alice, '/users', /^This command is for administrators only\.$/);
    await h.say(alice, `/resume ${alice.id}`, /^This command is for administrators only\.$/);

    const audit = await h.db.db.select().from(auditLog).orderBy(desc(auditLog.id));
    const actions = audit.map((a) => `${a.actorTelegramId} ${a.action}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `${admin.id} admin.status`,
        `${admin.id} admin.users`,
        `${admin.id} trading.pause_all`,
        `${admin.id} trading.resume_all`,
        `${admin.id} trading.pause_user`,
        `${admin.id} trading.resume_user`,
        `${alice.id} admin.refused`,
      ]),
    );
    expect(fake.actions.find((a) => a.action === 'pause_all')!.actor).toEqual({ telegramId: admin.id, userId: expect.any(String), admin: true });
  });
});
