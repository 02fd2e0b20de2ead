/**
 * A trader's input is shown back as typed (escaped, briefly) and a failure while handling an answer
 * asks the same step again: the dialog is never lost. Through the Bot API emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade, fakeDesk } from '../fakes/engine-facade.ts';
import { createAccountsRepo } from '../../src/db/repos/accounts.ts';
import { createAuditRepo } from '../../src/db/repos/audit.ts';
import type { Actor } from '../../src/engine/facade.ts';
import type { ExchangeId, TradingMode } from '../../src/exchange/port.ts';

/** the engine's first stop-loss move fails the way a lost database connection does; keys named 'long…' get a long exchange refusal */
class FlakyEngine extends FakeEngineFacade {
  failures = 1;
  override async checkKey(exchange: ExchangeId, mode: TradingMode, credentials: { apiKey: string; secret: string; password?: string }) {
    if (!credentials.apiKey.startsWith('long')) return super.checkKey(exchange, mode, credentials);
    return { ok: false, message: `binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action, request ip: <1.2.3.4>"} ${'&trace;'.repeat(1000)}` };
  }
  override async moveStopLoss(actor: Actor, userId: string, positionId: string, price: number) {
    if (this.failures-- > 0) throw new Error('Connection terminated unexpectedly');
    return super.moveStopLoss(actor, userId, positionId, price);
  }
}

let h: Harness;
let engine: FlakyEngine;
// one bot and database for both (starting them is most of the time)
beforeAll(async () => {
  h = await startHarness({
    engine: async ({ db, box, notifier }) => {
      engine = new FlakyEngine({ notifier, accountsRepo: createAccountsRepo(db.db, box), auditRepo: createAuditRepo(db.db), desk: fakeDesk(db.db) });
      return { facade: engine, stop: async () => undefined };
    },
  });
});
afterAll(async () => {
  await h.stop();
});

async function adjustStopLoss(symbol: string, entryPrice: number) {
  await h.say(alice, '/start', /Welcome/);
  const ask = await h.say(alice, '/connect', /Which exchange/);
  await h.press(alice, ask, /Paper/);
  await h.press(alice, await h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
  await h.emu.waitForMessage(alice.id, /Paper account ready/);
  const account = engine.accounts[0]!;
  const p = await engine.open({ userId: account.userId, accountId: account.id, symbol, entryPrice, stopLoss: entryPrice * 0.98, takeProfit: entryPrice * 1.1 });
  await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
  const view = await h.positionCard(alice, new RegExp(`${symbol.replace('/', '\\/')} long`), new RegExp(`^#\\d+ ${symbol.replace('/', '\\/')} LONG`));
  await h.press(alice, view, '✏️ Adjust SL/TP');
  await h.press(alice, await h.emu.waitForMessage(alice.id, /What do you want to change/), /^🛑 Stop loss/);
  const q = await h.emu.waitForMessage(alice.id, /New stop loss price/);
  return { p, q };
}

describe('dialogs under hostile input and failures', () => {
  it('shows "<b>" back as typed and asks again, with the unit; the dialog is still there', async () => {
    const { q } = await adjustStopLoss('BTC/USDT', 100_000);
    expect(q.text).toBe('New stop loss price for BTC/USDT, in USDT (now 100,000; must be below it):');
    const r = await h.say(alice, '<b>', /^❌/);
    expect(r.text).toBe('❌ "<b>" is not a number.\n\nNew stop loss price for BTC/USDT, in USDT (now 100,000; must be below it):');
    const long = await h.say(alice, `${'<'.repeat(5000)}`, /^❌/);
    expect(long.text).toBe(`❌ "${'<'.repeat(24)}…" is not a number.\n\nNew stop loss price for BTC/USDT, in USDT (now 100,000; must be below it):`);
    await h.say(alice, '/cancel', 'Cancelled. Nothing was saved from that dialog.');
  });

  it('an engine failure while saving asks the same step again; the next answer is taken', async () => {
    const { p } = await adjustStopLoss('ETH/USDT', 3_000);
    const failed = await h.say(alice, '2 950', /^⚠️/);
    expect(failed.text).toBe('⚠️ Something went wrong on our side; nothing was changed. Please send it again.\n\nNew stop loss price for ETH/USDT, in USDT (now 3,000; must be below it):');
    expect(engine.positions.get(p.id)!.stopLoss).toBe(2_940);
    await h.say(alice, '2 950,5', '✅ Stop loss set to 2950.5.');
    expect(engine.positions.get(p.id)!.stopLoss).toBe(2_950.5);
    await h.say(alice, '/cancel', 'Nothing to cancel.');
  });

  it("an exchange's refusal is shown as written and cut to fit one message; the dialog asks for the key again", async () => {
    await h.say(alice, '/start', /Welcome/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Binance');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Binance: which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'longkey-1234567890', /API secret/);
    await h.say(alice, 'secret-abcdefghijklmnop', /Checking the key with Binance/);
    const refused = await h.emu.waitForMessage(alice.id, /^❌/);
    expect(refused.text.startsWith('❌ binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action, request ip: <1.2.3.4>"} &trace;&trace;')).toBe(true);
    expect(refused.text).toHaveLength(4096);
    expect(refused.text.endsWith('…')).toBe(true);
    await h.emu.waitForMessage(alice.id, /Send the <b>API key<\/b>|Send the API key/);
    await h.say(alice, '/cancel', 'Cancelled. Nothing was saved from that dialog.');
  });
});
