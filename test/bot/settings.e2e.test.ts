/**
 * /settings through the Bot API emulator: the menu with current values, a numeric edit that
 * re-asks with the reason, toggles, mode, partial levels, applying to open positions, and
 * per-event notification levels.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import { FakeEngineFacade } from '../fakes/engine-facade.ts';
import { createSettingsRepo } from '../../src/db/repos/settings.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import type { MessageView } from '../emulators/bot-api.ts';
import { SETTING_FIELDS } from '../../src/domain/settings.ts';
import { SETTING_LABELS } from '../../src/telegram/settings-input.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

const current = (m: { message_id: number }): MessageView => h.emu.messages(alice.id).find((x) => x.message_id === m.message_id)!;

describe('settings', () => {
  it('shows every setting with its value; a number is asked with unit and range and re-asked with the reason', async () => {
    await h.say(alice, '/start', /Welcome/);
    const menu = await h.say(alice, '/settings', /Your settings/);
    expect(menu.buttons.flat().map((b) => b.text)).toEqual(['🎚 Risk', '🚪 Exits', '🚦 Limits', '🛡 Protections', '🔔 Notifications', '↪ Apply to open positions', 'Done']);
    await h.press(alice, menu, '🎚 Risk');
    const risk = await h.edited(alice, menu, /^⚙️ Risk/);
    expect(risk.text).toContain('Stop loss (fallback): 2 %');
    expect(risk.text).toContain('Max position size: 1000 USDT');
    await h.press(alice, risk, '⬅ Back');
    await h.press(alice, await h.edited(alice, menu, /^⚙️ Your settings/), '🚪 Exits');
    const exits = await h.edited(alice, menu, /^⚙️ Exits/);
    expect(exits.text).toContain('Max hold time: 12 h');
    expect(exits.text).toContain('Partial TP levels: 1:0.25, 2:0.5, 3:0.75');
    expect(exits.text).toContain('Trailing stop: on');
    await h.press(alice, exits, '⬅ Back');
    await h.press(alice, await h.edited(alice, menu, /^⚙️ Your settings/), '🎚 Risk');

    await h.press(alice, await h.edited(alice, menu, /^⚙️ Risk/), /^Stop loss \(fallback\)/);
    const q = await h.emu.waitForMessage(alice.id, /Stop loss \(fallback\)/);
    expect(q.text).toContain('Send a number above 0 and at most 100, in percent.');
    await h.say(alice, 'two', /❌ "two" is not a number\.[\s\S]*Send a number above 0/);
    // one number per message, read one way: "1⏎2" is not 12 %, "1,000" is asked back; the range and unit come with every re-ask
    const twoLines = await h.say(alice, '1\n2', /^❌/);
    expect(twoLines.text).toBe('❌ Send one number per message: "1⏎2" has a line break.\n\nStop loss (fallback) — now 2 %\n(used when a signal has no stop loss and ATR is unavailable)\nSend a number above 0 and at most 100, in percent.');
    await h.say(alice, '1,000', /❌ "1,000" can be read two ways: did you mean 1000 or 1\.0\? Send 1000 or 1\.0\.[\s\S]*Send a number above 0 and at most 100, in percent\./);
    await h.say(alice, '<b>5</b>', /❌ "<b>5<\/b>" is not a number\./);
    await h.say(alice, '0', /❌ 0 is too small: it must be above 0/);
    await h.say(alice, '250', /❌ 250 is too large: it must be at most 100/);
    const saved = await h.say(alice, '3.5%', /✅ Stop loss \(fallback\): 2 % → 3.5 %\nApplies to new positions\./);
    const user = (await createRecipientsRepo(h.db.db).byTelegramId(alice.id))!;
    expect((await createSettingsRepo(h.db.db).get(user.userId)).stopLossPct).toBe(3.5);

    // apply to the open positions too
    const fake = h.engine as FakeEngineFacade;
    await fake.open({ userId: user.userId });
    await h.emu.waitForMessage(alice.id, /POSITION OPENED/, 8000);
    const applied = await h.press(alice, saved, /Apply to open positions too/);
    expect(applied.answer).toBe('Applied to 1 open position.');
    expect(fake.appliedSettings.get(user.userId)).toBe(1);

    // whole numbers only where the setting needs them
    const again = await h.say(alice, '/settings', /Your settings/);
    await h.press(alice, again, '🎚 Risk');
    const risk2 = await h.edited(alice, again, /^⚙️ Risk/);
    expect(risk2.text).toContain('Stop loss (fallback): 3.5 %');
    await h.press(alice, risk2, '⬅ Back');
    await h.press(alice, await h.edited(alice, again, /^⚙️ Your settings/), '🚦 Limits');
    await h.press(alice, await h.edited(alice, again, /^⚙️ Limits/), /^Max open positions/);
    await h.emu.waitForMessage(alice.id, /Send a whole number from 1 to 1000/);
    await h.say(alice, '2.5', /❌ 2.5 is not a whole number/);
    await h.say(alice, '8', /✅ Max open positions: 5 → <b>8<\/b>|✅ Max open positions: 5 → 8/);
  });

  it('toggles and partial levels; the mode is each account’s own, not a setting', async () => {
    await h.say(alice, '/start', /Welcome/);
    const menu = await h.say(alice, '/settings', /Your settings/);
    expect(menu.text).not.toMatch(/Mode:/);
    expect(menu.text).toContain('Spot, margin or futures is each account’s own mode: /accounts.');
    await h.press(alice, menu, '🚪 Exits');
    const off = await h.press(alice, await h.edited(alice, menu, /^⚙️ Exits/), /^Trailing stop: on/);
    expect(off.answer).toBe('Off. Applies to new positions.');
    await h.edited(alice, menu, /Trailing stop: off/);

    expect(current(menu).text).not.toMatch(/Mode:/);
    expect(current(menu).buttons.flat().map((b) => b.text).filter((t) => /^Mode/.test(t))).toEqual([]);

    await h.press(alice, current(menu), /^Partial TP levels/);
    await h.emu.waitForMessage(alice.id, /target%:fraction/);
    await h.say(alice, '2:0.5, 1:0.5', /❌ Targets must be in ascending order/);
    await h.say(alice, '1.5:0.3, 4:1', /✅ Partial TP levels: 1:0.25, 2:0.5, 3:0.75 → 1.5:0.3, 4:1/);

    // a cross-field rule from the domain: liquidation close must not exceed the warning
    const m2 = await h.say(alice, '/settings', /Your settings/);
    await h.press(alice, m2, '🚦 Limits');
    await h.press(alice, await h.edited(alice, m2, /^⚙️ Limits/), /^Liquidation close at/);
    await h.emu.waitForMessage(alice.id, /Liquidation close at/);
    await h.say(alice, '20', /❌ liquidation_close_pct: must not exceed liquidation_warn_pct/);
    await h.say(alice, '/cancel', /Cancelled/);
  });

  it('five sections, each on one phone screen; every setting in one; money in the account’s quote (Kraken Futures: USD)', async () => {
    await h.say(alice, '/start', /Welcome/);
    const ask = await h.say(alice, '/connect', /Which exchange/);
    await h.press(alice, ask, 'Kraken');
    await h.press(alice, await h.emu.waitForMessage(alice.id, /Kraken: which mode/), /^Futures/);
    await h.emu.waitForMessage(alice.id, /API key/);
    await h.say(alice, 'krakenkey-12345678', /API secret/);
    await h.say(alice, 'krakensecret-abcdefgh', /Connected Kraken futures/);

    const menu = await h.say(alice, '/settings', /Your settings/);
    expect(menu.text).toContain('at most 1000 USD ·');
    const seen: string[] = [];
    for (const [button, title] of [['🎚 Risk', /^⚙️ Risk/], ['🚪 Exits', /^⚙️ Exits/], ['🚦 Limits', /^⚙️ Limits/], ['🛡 Protections', /^⚙️ Protections/], ['🔔 Notifications', /^🔔 Notifications/]] as const) {
      await h.press(alice, current(menu), button);
      const section = await h.edited(alice, menu, title);
      // a phone screen: at most 16 lines of text and 10 rows of buttons, none of them over 2 a row
      expect(section.text.split('\n').length, section.text).toBeLessThanOrEqual(16);
      expect(section.buttons.length).toBeLessThanOrEqual(10);
      expect(Math.max(...section.buttons.map((r) => r.length))).toBeLessThanOrEqual(2);
      if (button === '🎚 Risk') expect(section.text).toContain('Max position size: 1000 USD\n');
      if (button !== '🔔 Notifications') seen.push(...section.buttons.flat().map((b) => b.text.split(':')[0]!));
      await h.press(alice, section, '⬅ Back');
      await h.edited(alice, menu, /^⚙️ Your settings/);
    }
    const editable = SETTING_FIELDS.filter((f) => f.kind !== 'mode').map((f) => SETTING_LABELS[f.key]);
    expect(seen.filter((t) => t !== '⬅ Back').sort()).toEqual([...editable].sort());

    // the question and the answer name USD too, and "usd" after the number is taken
    await h.press(alice, current(menu), '🎚 Risk');
    await h.press(alice, await h.edited(alice, menu, /^⚙️ Risk/), /^Max position size/);
    await h.emu.waitForMessage(alice.id, /Send a number above 0 and at most 1000000000000, in USD\./);
    const saved = await h.say(alice, '2500 usd', /✅ Max position size/);
    expect(saved.text).toBe('✅ Max position size: 1000 USD → 2500 USD\nApplies to new positions.');
    // back to the section the setting belongs to
    await h.press(alice, saved, '⚙️ Back to settings');
    await h.edited(alice, saved, /^⚙️ Risk[\s\S]*Max position size: 2500 USD/);
  });

  it('notification levels cycle on → silent → off, and errors that need the trader never go off', async () => {
    await h.say(alice, '/start', /Welcome/);
    const menu = await h.say(alice, '/settings', /Your settings/);
    await h.press(alice, menu, '🔔 Notifications');
    await h.edited(alice, menu, /Notifications/);
    expect(current(menu).buttons.flat().map((b) => b.text)).toContain('Signal rejected: 🚫 off');
    const cycle = async (label: RegExp, expected: string) => {
      const r = await h.press(alice, current(menu), label);
      expect(r.answer).toBe(expected);
      await h.emu.waitForMessage(alice.id, (m) => m.message_id === menu.message_id && m.buttons.flat().some((b) => b.text === expected), 8000);
    };
    await cycle(/^Take profit: /, 'Take profit: 🔕 silent');
    await cycle(/^Take profit: /, 'Take profit: 🚫 off');
    await cycle(/^Action needed: /, 'Action needed: 🔕 silent');
    await cycle(/^Action needed: /, 'Action needed: 🔔 on');
    const user = (await createRecipientsRepo(h.db.db).byTelegramId(alice.id))!;
    expect(await createRecipientsRepo(h.db.db).prefs(user.userId)).toEqual({ take_profit: 'off', action_needed: 'on' });
  });
});
