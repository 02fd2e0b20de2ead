/**
 * SPEC §10 in the chat: while the engine finds the database down, a trader's command and a button
 * are answered with what is going on (the database is unavailable, positions stay protected, how
 * many exits wait to be recorded) instead of the generic error, and nothing that needs the
 * database runs; an admin's /status says so. Through the Bot API emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admin, alice, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';

let h: Harness;
let fake: FakeEngineFacade;
beforeEach(async () => {
  h = await startHarness();
  fake = h.engine as FakeEngineFacade;
});
afterEach(async () => {
  fake.outage = null;
  await h.stop();
});

describe('a database outage in the chat', () => {
  it('commands and buttons are told the database is unavailable and positions stay protected; /status says since when', async () => {
    await h.say(alice, '/start', /Welcome, Alice/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, /Paper/);
    await h.press(alice, await h.emu.waitForMessage(alice.id, /which mode/), /^Spot/);
    await h.emu.waitForMessage(alice.id, /Paper account ready/);
    const account = fake.accounts[0]!;
    const position = await fake.open({ userId: account.userId, accountId: account.id, entryPrice: 100_000, qty: 0.01 });
    const opened = await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);

    fake.outage = { since: new Date(Date.now() - 125_000), exitsAwaitingRecord: 1 };
    const reply = await h.say(alice, '/positions', /database/);
    expect(reply.text).toContain("The bot's database has been unavailable for 2 min");
    expect(reply.text).toContain('Your open positions stay protected');
    expect(reply.text).toContain('1 exit reached the exchange meanwhile and will be recorded when the database is back.');
    expect(reply.text).not.toContain('Something went wrong');

    const pressed = await h.press(alice, opened, '✖ Close');
    expect(pressed.answer).toMatch(/database has been unavailable/);
    expect(fake.positions.get(position.id)!.status).toBe('open'); // nothing acted

    const status = await h.say(admin, '/status', /Status/);
    expect(status.text).toMatch(/Database: ❌ unavailable for 2 min.*exits still reach the exchange \(local journal\), 1 waiting to be recorded/);

    fake.outage = null;
    await h.say(alice, '/positions', /Open positions \(1\)[\s\S]*1 BTC\/USDT long/);
  });
});
