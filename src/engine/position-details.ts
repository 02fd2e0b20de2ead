/**
 * What a trader reads about a position beyond the monitor's state: its trade number, its
 * account's one name, the market's precision, and (when it opens) the plan the monitor follows
 * and the signal behind it. Looked up best effort: a lookup that fails or is slow (the database
 * down) leaves the field out, and the alert goes without it, never later.
 */
import { priceAtProfit } from '../domain/monitor/state.ts';
import type { PositionRecord } from '../db/repos/positions.ts';
import type { EngineContext } from './context.ts';
import type { EntryPlanView, PositionDetails } from './events.ts';

/** ms a detail may take; past it the alert goes without that detail */
const DETAIL_DEADLINE_MS = 1_000;

type DetailsContext = Pick<EngineContext, 'repos' | 'exchanges' | 'health' | 'labels'>;

async function bounded<T>(ctx: DetailsContext, fn: () => Promise<T>): Promise<T | undefined> {
  if (!ctx.health.available()) return undefined;
  return ctx.health.bounded(fn, DETAIL_DEADLINE_MS).catch(() => undefined);
}

/** the market's amount step and price tick, where the exchange says them */
export async function marketPrecision(ctx: Pick<EngineContext, 'exchanges'>, accountId: string, symbol: string): Promise<{ amountStep?: number; priceTick?: number }> {
  const lookup = ctx.exchanges
    .forAccount(accountId)
    .then((port) => port.market(symbol))
    .catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), DETAIL_DEADLINE_MS);
  });
  const market = await Promise.race([lookup, late]).finally(() => clearTimeout(timer));
  if (!market) return {};
  return {
    ...(market.stepSize > 0 ? { amountStep: market.stepSize } : {}),
    ...(market.tickSize > 0 ? { priceTick: market.tickSize } : {}),
  };
}

export async function positionDetails(ctx: DetailsContext, p: PositionRecord): Promise<PositionDetails> {
  const [label, precision] = await Promise.all([ctx.labels.cached(p.accountId) ?? bounded(ctx, () => ctx.labels.get(p.accountId)), marketPrecision(ctx, p.accountId, p.symbol)]);
  return {
    ...(p.number != null ? { number: p.number } : {}),
    ...(label ? { accountLabel: label } : {}),
    ...precision,
  };
}

/** The exits the monitor will take, as prices: partial levels, trailing activation, time exit. */
export function entryPlanOf(p: PositionRecord): EntryPlanView {
  const s = p.state;
  const st = p.settings;
  return {
    partials: st.partialTpEnabled ? st.partialTpLevels.map((l) => ({ price: priceAtProfit(s.side, s.entry, l.targetPct), targetPct: l.targetPct, fraction: l.fraction })) : [],
    trailingActivation: st.trailingEnabled ? priceAtProfit(s.side, s.entry, st.trailingActivationPct) : null,
    trailingActivationPct: st.trailingEnabled ? st.trailingActivationPct : null,
    trailingDistancePct: st.trailingEnabled ? st.trailingDistancePct : null,
    maxHoldHours: st.maxHoldMs > 0 ? st.maxHoldMs / 3_600_000 : null,
    leverage: s.leverage,
    mode: s.mode,
  };
}

/** the signal that opened the position: its source and confidence */
export async function signalOf(ctx: DetailsContext, p: PositionRecord): Promise<{ source?: string; confidence?: number | null }> {
  if (!p.signalId) return {};
  const signal = await bounded(ctx, () => ctx.repos.signals.get(p.signalId!));
  return signal ? { source: signal.source, confidence: signal.confidence } : {};
}

/**
 * An exit's details as the alert shows them: the position's details, the P&L as a percent after
 * fees (the net P&L over the exit's quantity at the entry price, like the amount), and how long
 * the position was open.
 */
export async function exitDetails(ctx: DetailsContext, p: PositionRecord, exit: { qty: number; pnl: number; now: number }): Promise<PositionDetails & { pct: number; durationMs: number }> {
  const basis = p.state.entry * exit.qty;
  return { ...(await positionDetails(ctx, p)), pct: basis > 0 ? (exit.pnl / basis) * 100 : 0, durationMs: Math.max(0, exit.now - p.state.openedAt) };
}
