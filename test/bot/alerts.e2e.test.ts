/**
 * Alerts through the outbox to the Bot API emulator: every engine event as a message with the
 * seed's icons and, while the position is open, its buttons; per-event levels (silent, off);
 * a Telegram outage and a restart delay alerts but lose none.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alice, startHarness, type Harness } from './harness.ts';
import type { EngineEvent } from '../../src/engine/events.ts';
import { createRecipientsRepo } from '../../src/db/repos/recipients.ts';
import { createOutboxRepo } from '../../src/db/repos/outbox.ts';
import { createAlerts } from '../../src/notify/alerts.ts';
import { createLogger } from '../../src/log.ts';

let h: Harness;
let userId: string;
beforeEach(async () => {
  h = await startHarness();
  await h.say(alice, '/start', /Welcome/);
  userId = (await createRecipientsRepo(h.db.db).byTelegramId(alice.id))!.userId;
});
afterEach(async () => {
  await h.stop();
});

const ref = () => ({ userId, positionId: 'b0517000-0000-4000-8000-000000000042', symbol: 'BTC/USDT', side: 'long' as const, exchange: 'binance', isPaper: true });
const exit = (kind: 'stop_loss' | 'take_profit' | 'trailing_stop' | 'partial_tp' | 'time_exit' | 'liquidation_protection', remainingQty: number): EngineEvent => ({
  ...ref(),
  kind,
  price: 101_000,
  qty: 0.005,
  remainingQty,
  pnl: 4.9,
  pct: 1,
  ...(kind === 'partial_tp' ? { level: 1 } : {}),
});

describe('alerts', () => {
  it('every event kind arrives with its icon; buttons only while the position is open', async () => {
    const events: Array<[EngineEvent, RegExp, boolean]> = [
      [{ ...ref(), kind: 'position_opened', entryPrice: 100_000, qty: 0.01, stopLoss: 98_000, takeProfit: 110_000, signalId: null }, /🟢 POSITION OPENED/, true],
      [exit('partial_tp', 0.005), /💰 PARTIAL TP \(level 2\)/, true],
      [{ ...ref(), kind: 'stop_moved', oldStop: 98_000, newStop: 100_000, reason: 'breakeven after first partial' }, /📝 Stop loss moved\n[\s\S]*98,000 → 100,000/, true],
      [{ ...ref(), kind: 'liquidation_warning', price: 100_000, liquidationPrice: 88_000, distancePct: 12, reducedQty: 0.001 }, /🚨 LIQUIDATION RISK/, true],
      [exit('trailing_stop', 0), /📈 TRAILING STOP/, false],
      [exit('stop_loss', 0), /🛑 STOP LOSS TRIGGERED/, false],
      [exit('take_profit', 0), /🎯 TAKE PROFIT HIT/, false],
      [exit('time_exit', 0), /⏰ TIME EXIT/, false],
      [exit('liquidation_protection', 0), /🚨 LIQUIDATION PROTECTION/, false],
      [{ kind: 'order_failed', userId, symbol: 'ETH/USDT', message: 'Insufficient funds for 0.5 ETH' }, /❌ Order failed: ETH\/USDT\nInsufficient funds/, false],
      [{ kind: 'action_needed', userId, message: 'Binance rejected your API key (revoked?). Trading on it is stopped.', accountId: 'a1' }, /⚠️ Action needed\nBinance rejected your API key[\s\S]*See \/accounts/, false],
    ];
    for (const [event] of events) await h.alerts.notifier.notify(event);
    for (const [, pattern, buttons] of events) {
      const m = await h.emu.waitForMessage(alice.id, pattern, 10_000);
      expect(m.buttons.flat().length > 0, m.text).toBe(buttons);
      if (buttons) expect(m.buttons.flat().map((b) => b.text)).toEqual(['✖ Close', '½ Close 50 %', '🛡 SL → breakeven', '✏️ Adjust SL/TP', '🔄 Refresh']);
    }
    // delivered in the order they were emitted
    const texts = h.emu.messages(alice.id).filter((m) => m.from === 'bot').map((m) => m.text);
    const order = events.map(([, p]) => texts.findIndex((t) => p.test(t)));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('silent events go without sound, off events not at all, rejected signals only when wanted', async () => {
    const recipients = createRecipientsRepo(h.db.db);
    await h.alerts.notifier.notify({ kind: 'signal_rejected', userId, signalId: 's1', symbol: 'SOL/USDT', action: 'BUY', reasons: ['hourly trade limit 5 reached'] });
    await recipients.setLevel(userId, 'signal_rejected', 'on');
    await recipients.setLevel(userId, 'take_profit', 'silent');
    await recipients.setLevel(userId, 'stop_loss', 'off');
    await h.alerts.notifier.notify(exit('stop_loss', 0));
    await h.alerts.notifier.notify({ kind: 'signal_rejected', userId, signalId: 's2', symbol: 'ADA/USDT', action: 'BUY', reasons: ['hourly trade limit 5 reached'] });
    await h.alerts.notifier.notify(exit('take_profit', 0));
    await h.emu.waitForMessage(alice.id, /Signal not taken: BUY ADA\/USDT\n• hourly trade limit 5 reached/, 10_000);
    await h.emu.waitForMessage(alice.id, /TAKE PROFIT HIT/, 10_000);
    const texts = h.emu.messages(alice.id).map((m) => m.text);
    expect(texts.some((t) => /SOL\/USDT|STOP LOSS/.test(t))).toBe(false);
    const sends = h.emu.calls('sendMessage').filter((c) => /TAKE PROFIT|ADA/.test(String(c.params.text)));
    expect(sends.map((c) => c.params.disable_notification)).toEqual([false, true]);
  });

  it('a Telegram outage and a restart delay alerts but lose none', async () => {
    h.emu.setOutage('502');
    await h.alerts.notifier.notify(exit('stop_loss', 0), 'sl-1');
    await h.emu.waitForCall('sendMessage', (c) => c.status === 502, 10_000);
    const outbox = createOutboxRepo(h.db.db);
    const [row] = await outbox.all();
    expect(row).toMatchObject({ status: 'pending', kind: 'stop_loss' });

    // the process stops while the outage lasts; another alert is stored meanwhile
    await h.alerts.worker.stop();
    await h.alerts.notifier.notify(exit('take_profit', 0), 'tp-1');
    await h.alerts.notifier.notify(exit('take_profit', 0), 'tp-1'); // replayed after a crash: stored once
    h.emu.setOutage(false);
    const restarted = createAlerts({ repos: { outbox: createOutboxRepo(h.db.db), recipients: createRecipientsRepo(h.db.db) }, token: h.emu.token, apiRoot: h.emu.url, logger: createLogger({ level: 'silent', pretty: false, secrets: [] }), pollMs: 50 });
    restarted.worker.start();
    try {
      await h.emu.waitForMessage(alice.id, /STOP LOSS TRIGGERED/, 15_000);
      await h.emu.waitForMessage(alice.id, /TAKE PROFIT HIT/, 15_000);
      // marked sent right after Telegram answers
      for (let i = 0; i < 200 && (await outbox.depth()) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      const rows = await outbox.all();
      expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
      expect(rows[0]!.attempts).toBeGreaterThanOrEqual(1);
      expect(h.emu.messages(alice.id).filter((m) => /TAKE PROFIT HIT/.test(m.text))).toHaveLength(1);
    } finally {
      await restarted.worker.stop();
    }
  });
});
