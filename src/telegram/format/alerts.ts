/**
 * Engine events as Telegram messages (HTML), with the seed's log icons (🛑 🎯 📈 💰 🚨 📝).
 * Pure. `buttons` says whether the position controls belong under the message (the position is
 * still open after this event).
 */
import { reasonWords } from './reasons.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { DEFAULT_PORTFOLIO_LIMITS } from '../../domain/portfolio.ts';
import { baseOf, escapeHtml, fmtDuration, fmtMoney, fmtPct, fmtPrice, fmtQty, quoteOf } from './numbers.ts';

export interface FormattedAlert {
  text: string;
  /** id of the position the controls act on; undefined = no buttons */
  positionId: string | undefined;
}

const EXIT_TITLES = {
  stop_loss: '🛑 STOP LOSS TRIGGERED',
  take_profit: '🎯 TAKE PROFIT HIT',
  trailing_stop: '📈 TRAILING STOP',
  partial_tp: '💰 PARTIAL TP',
  time_exit: '⏰ TIME EXIT',
  liquidation_protection: '🚨 LIQUIDATION PROTECTION — position closed',
  manual: '✋ CLOSED BY YOU',
  signal_reverse: '🔄 CLOSED BY AN OPPOSITE SIGNAL',
  exchange_stop: '🛡 CLOSED BY THE STOP ON THE EXCHANGE (while the bot was away)',
} as const;

type Head = { symbol: string; side: 'long' | 'short'; isPaper: boolean; exchange: string; number?: number; accountLabel?: string };

/** "BTC/USDT LONG · trade #3 · Binance spot ·1234" (older stored alerts: "· paper" / "· binance") */
function head(e: Head): string {
  const trade = e.number !== undefined ? ` · trade #${e.number}` : '';
  const account = e.accountLabel ?? (e.isPaper ? 'paper' : e.exchange);
  return `<b>${escapeHtml(e.symbol)} ${e.side === 'long' ? 'LONG' : 'SHORT'}</b>${trade} · ${escapeHtml(account)}`;
}

/** the fraction of what remains, as a percent: 0.25 → "25 %" */
const share = (f: number) => `${Number((f * 100).toFixed(2))} %`;

/** The exits the monitor follows, one line each (partial levels, trailing activation, time exit). */
function planLines(e: Extract<EngineEvent, { kind: 'position_opened' }>): string[] {
  const plan = e.plan;
  if (!plan) return [];
  const tick = e.priceTick;
  const lines: string[] = [];
  if (plan.partials.length > 0) lines.push(`💰 Partial TP: ${plan.partials.map((l) => `${fmtPrice(l.price, tick)} (sell ${share(l.fraction)})`).join(' · ')}`);
  if (plan.trailingActivation !== null) {
    lines.push(`📈 Trailing stop from ${fmtPrice(plan.trailingActivation, tick)} (${fmtPct(plan.trailingActivationPct)}), ${fmtPct(plan.trailingDistancePct, false)} behind the best price`);
  }
  if (plan.maxHoldHours !== null) lines.push(`⏰ Time exit after ${fmtDuration(plan.maxHoldHours * 3_600_000)}`);
  return lines;
}

function signalLine(e: Extract<EngineEvent, { kind: 'position_opened' }>): string[] {
  if (e.source === undefined) return [];
  const confidence = e.confidence === null || e.confidence === undefined ? '' : ` · confidence ${e.confidence.toFixed(2)}`;
  return [`📡 Signal: ${escapeHtml(e.source)}${confidence}`];
}

export function formatAlert(event: EngineEvent): FormattedAlert {
  switch (event.kind) {
    case 'position_opened': {
      const quote = quoteOf(event.symbol);
      const notional = event.entryPrice * event.qty;
      return {
        text: [
          `🟢 <b>POSITION OPENED</b>`,
          head(event),
          `Entry ${fmtPrice(event.entryPrice, event.priceTick)} · size ${fmtQty(event.qty, event.amountStep)} ${escapeHtml(baseOf(event.symbol))} (${fmtMoney(notional, quote, false)})`,
          `🛑 SL ${fmtPrice(event.stopLoss, event.priceTick)} · 🎯 TP ${fmtPrice(event.takeProfit, event.priceTick)}`,
          ...planLines(event),
          ...signalLine(event),
          event.stopLoss === null ? '⚠️ No stop loss is set on this position.' : 'Protected: stop loss, take profit, trailing and time exit are watched.',
          ...(event.concentration !== undefined
            ? [`⚠️ Concentrated portfolio: Herfindahl index ${event.concentration.toFixed(2)} ≥ ${DEFAULT_PORTFOLIO_LIMITS.concentrationWarning} — most of your holdings sit in few assets.`]
            : []),
        ].join('\n'),
        positionId: event.positionId,
      };
    }
    case 'stop_loss':
    case 'take_profit':
    case 'trailing_stop':
    case 'partial_tp':
    case 'time_exit':
    case 'liquidation_protection':
    case 'manual':
    case 'signal_reverse':
    case 'exchange_stop': {
      const quote = quoteOf(event.symbol);
      const closed = event.remainingQty <= 0;
      const title = event.kind === 'partial_tp' && event.level !== undefined ? `${EXIT_TITLES.partial_tp} (level ${event.level + 1})` : EXIT_TITLES[event.kind];
      const lines = [
        `<b>${title}</b>`,
        head(event),
        `${closed ? 'Closed' : 'Sold'} ${fmtQty(event.qty, event.amountStep)} ${escapeHtml(baseOf(event.symbol))} at ${fmtPrice(event.price, event.priceTick)}`,
        `${event.pnl >= 0 ? '🟢' : '🔴'} P&L ${fmtMoney(event.pnl, quote)} (${fmtPct(event.pct)}) after fees`,
        closed
          ? `Position closed${event.durationMs !== undefined ? ` after ${fmtDuration(event.durationMs)}` : ''}.`
          : `${fmtQty(event.remainingQty, event.amountStep)} ${escapeHtml(baseOf(event.symbol))} still open${event.durationMs !== undefined ? ` (open for ${fmtDuration(event.durationMs)})` : ''}.`,
        ...(event.dust !== undefined && event.dust > 0
          ? [`${fmtQty(event.dust)} ${escapeHtml(baseOf(event.symbol))} stays in your wallet: below the exchange’s minimum order, it cannot be sold.`]
          : []),
      ];
      return { text: lines.join('\n'), positionId: closed ? undefined : event.positionId };
    }
    case 'liquidation_warning':
      return {
        text: [
          `<b>🚨 LIQUIDATION RISK</b>`,
          head(event),
          `Price ${fmtPrice(event.price, event.priceTick)} is ${fmtPct(event.distancePct, false)} from liquidation at ${fmtPrice(event.liquidationPrice, event.priceTick)}.`,
          event.reducedQty > 0 ? `Reduced the position by ${fmtQty(event.reducedQty, event.amountStep)} ${escapeHtml(baseOf(event.symbol))}.` : 'Consider reducing or closing it.',
        ].join('\n'),
        positionId: event.positionId,
      };
    case 'stop_moved':
      return {
        text: [`📝 <b>Stop loss moved</b>`, head(event), `${fmtPrice(event.oldStop, event.priceTick)} → ${fmtPrice(event.newStop, event.priceTick)} (${escapeHtml(reasonWords(event.reason))})`].join('\n'),
        positionId: event.positionId,
      };
    case 'take_profit_moved':
      return {
        text: [`📝 <b>Take profit moved</b>`, head(event), `${fmtPrice(event.oldTakeProfit, event.priceTick)} → ${fmtPrice(event.newTakeProfit, event.priceTick)} (${escapeHtml(reasonWords(event.reason))})`].join('\n'),
        positionId: event.positionId,
      };
    case 'signal_rejected':
      return {
        text: [
          `🚫 <b>Signal not taken</b>: ${escapeHtml(event.action)} ${escapeHtml(event.symbol)}`,
          ...event.reasons.map((r) => `• ${escapeHtml(r)}`),
        ].join('\n'),
        positionId: undefined,
      };
    case 'order_failed':
      return {
        text: [`❌ <b>Order failed</b>: ${escapeHtml(event.symbol)}`, escapeHtml(event.message)].join('\n'),
        positionId: event.positionId,
      };
    case 'prices_stale':
      return { text: formatPricesStale(event), positionId: undefined };
    case 'action_needed':
      return {
        text: [`⚠️ <b>Action needed</b>`, escapeHtml(event.message), event.accountId ? 'See /accounts.' : ''].filter(Boolean).join('\n'),
        positionId: event.positionId,
      };
  }
}

function formatPricesStale(event: Extract<EngineEvent, { kind: 'prices_stale' }>): string {
  const minutes = Math.max(1, Math.round(event.downMs / 60_000));
  const symbols = escapeHtml(event.symbols.join(', '));
  if (event.live) {
    return [`✅ <b>Prices are back</b> from ${escapeHtml(event.feed)} after ${minutes} min.`, `The bot watches ${symbols} again.`].join('\n');
  }
  const since = new Date(event.since).toISOString().slice(11, 16);
  return [
    `⏳ <b>Prices delayed</b>: no price from ${escapeHtml(event.feed)} for ${minutes} min (since ${since} UTC).`,
    `Until they return, the bot's stop loss, take profit and trailing stop cannot fire on ${symbols}. A stop placed on the exchange still protects a position that has one (🛡 in /positions).`,
    'I will tell you when prices are back.',
  ].join('\n');
}
