/**
 * A trader's forwarded or pasted channel post, or `/signal` (SPEC §9), up to the signal row. The
 * preview is the engine's own entry decision (decideEntry, as the signal would meet it now, on each
 * of the trader's enabled accounts) run without placing anything, so the risk it shows is the risk
 * the signal would take. Only Trade stores the signal: a trading_signals row with the trader's
 * user_id (source `telegram` for a post, `manual` for /signal), trusted for that trader only; the
 * engine's one signal path takes it from there. Every input shows in /signals.
 */
import { randomUUID } from 'node:crypto';
import { draftAgainstMarket, type SignalDraft } from '../domain/channel-post.ts';
import { planTargets, type TargetPlan } from '../domain/target-levels.ts';
import type { Side } from '../domain/types.ts';
import type { SignalRecord } from '../db/repos/signals.ts';
import { quirksFor } from '../exchange/quirks/index.ts';
import { EXCHANGE_IDS, type ExchangeId } from '../exchange/port.ts';
import { accountLabel } from './account-label.ts';
import type { EngineContext } from './context.ts';
import { decideEntry, type CandleSource } from './decide-entry.ts';
import type { Actor } from './facade.ts';
import { marketSymbol } from './market-symbol.ts';
import { splitSymbol } from '../domain/fills.ts';

/** a preview traded later than this is refused (prices move): the trader sends it again, ms */
export const PREVIEW_MAX_AGE_MS = 15 * 60_000;
/** a traded post's signal must reach the engine within this, ms */
const SIGNAL_TTL_MS = 15 * 60_000;

export type PostSource = 'telegram' | 'manual';

/** What the signal would do on one account now. */
export interface PreviewAccount {
  label: string;
  symbol: string;
  /** open: it would open this; reverse: it would first close the account's opposite position; reject: it would be refused */
  kind: 'open' | 'reverse' | 'reject';
  side: Side;
  quote: string;
  /** market price it would enter at (quote per base); null when unknown */
  price: number | null;
  qty: number;
  notional: number;
  stopLoss: number | null;
  takeProfit: number | null;
  leverage: number;
  /** quote lost if the stop is hit, before fees */
  risk: number | null;
  /** percent of the free balance */
  riskPct: number | null;
  free: number | null;
  /** why it would be refused (reject), or the notes of the sizing (caps that applied) */
  reasons: string[];
}

export type PreviewResult =
  | { kind: 'preview'; inputId: string; draft: SignalDraft; plan: TargetPlan; accounts: PreviewAccount[] }
  | { kind: 'refused'; draft: SignalDraft; reasons: string[] };

export type PreviewChoice =
  | { ok: true; kind: 'stored'; signalId: string; message: string }
  | { ok: true; kind: 'ignored'; message: string }
  | { ok: false; message: string };

/** What the bot asks about posts and /signal. */
export interface PostsFacade {
  /** the engine's decision for the draft on each enabled account; stored as a preview unless the market refuses it */
  preview(actor: Actor, userId: string, draft: SignalDraft, source: PostSource, text?: string): Promise<PreviewResult>;
  /** a post the parser refused: recorded so /signals shows it with its reasons */
  recordRefused(actor: Actor, userId: string, source: PostSource, reasons: string[], found: { symbol: string | null; side: Side | null }): Promise<void>;
  /** Trade or Ignore on a preview, once */
  choose(actor: Actor, userId: string, inputId: string, choice: 'trade' | 'ignore'): Promise<PreviewChoice>;
}

export interface PostsOptions {
  trustedSources: readonly string[];
  candles?: CandleSource | undefined;
}

export function createPosts(ctx: EngineContext, options: PostsOptions): PostsFacade {
  const { repos, clock } = ctx;
  const inputs = repos.signalInputs;
  const audit = (actor: Actor, action: string, target: string | null, details: Record<string, unknown>) =>
    repos.audit.record({ actorTelegramId: actor.telegramId, actorUserId: actor.userId ?? null, action, target, details, at: clock.now() });

  async function previewOn(userId: string, draft: SignalDraft, source: PostSource, account: Awaited<ReturnType<typeof repos.accounts.listForUser>>[number]): Promise<PreviewAccount> {
    const symbol = marketSymbol(draft.symbol, account.mode, (EXCHANGE_IDS as readonly string[]).includes(account.exchange) ? quirksFor(account.exchange as ExchangeId) : undefined);
    const { quote } = splitSymbol(symbol);
    const base: PreviewAccount = { label: accountLabel(account), symbol, kind: 'reject', side: draft.side, quote, price: null, qty: 0, notional: 0, stopLoss: draft.stopLoss, takeProfit: draft.targets.at(-1) ?? null, leverage: 1, risk: null, riskPct: null, free: null, reasons: [] };
    try {
      const read = await repos.settings.get(userId);
      const settings = { ...read.settings, mode: account.mode };
      const port = await ctx.exchanges.forAccount(account.id);
      const now = clock.now();
      const signal: SignalRecord = {
        id: randomUUID(),
        symbol: draft.symbol,
        action: draft.side === 'long' ? 'BUY' : 'SELL',
        confidence: 1,
        source,
        reasoning: null,
        userId,
        stopLoss: draft.stopLoss,
        takeProfit: draft.targets.at(-1) ?? null,
        expiresAt: now + SIGNAL_TTL_MS,
        createdAt: now,
      };
      const decision = await decideEntry(ctx, { signal, symbol, userId, accountId: account.id, settings, port, exchange: account.exchange, trustedSources: options.trustedSources, candles: options.candles, leverageCap: draft.leverage });
      if (decision.kind === 'open') {
        const risk = decision.qty * Math.abs(decision.price - decision.stopLoss);
        return {
          ...base,
          kind: 'open',
          side: decision.side,
          price: decision.price,
          qty: decision.qty,
          notional: decision.qty * decision.price,
          stopLoss: decision.stopLoss,
          takeProfit: decision.takeProfit,
          leverage: decision.leverage,
          risk,
          riskPct: decision.free > 0 ? (risk / decision.free) * 100 : null,
          free: decision.free,
          reasons: decision.notes,
        };
      }
      const price = await port.fetchPrice(symbol).catch(() => null);
      if (decision.kind === 'reverse') return { ...base, kind: 'reverse', price, reasons: [`your open ${decision.position.state.side} of ${symbol} would be closed first${decision.reopen ? ', then this one opened' : ''}`] };
      return { ...base, price, reasons: decision.reasons };
    } catch (error) {
      return { ...base, reasons: [error instanceof Error ? error.message : String(error)] };
    }
  }

  return {
    async preview(actor, userId, draft, source, text) {
      const accounts = (await repos.accounts.listForUser(userId)).filter((a) => a.enabled);
      const views: PreviewAccount[] = [];
      for (const account of accounts) views.push(await previewOn(userId, draft, source, account));
      const details = detailsOf(draft, source, text);
      const price = views.find((v) => v.price !== null)?.price;
      const reasons = price != null ? draftAgainstMarket(draft, price) : [];
      if (reasons.length > 0) {
        await inputs.recordInput(userId, source, 'refused', reasons, details, new Date(clock.now()));
        await audit(actor, 'signal.post.refused', null, { symbol: draft.symbol, side: draft.side });
        return { kind: 'refused', draft, reasons };
      }
      const inputId = await inputs.storePreview(userId, source, details, new Date(clock.now()));
      return { kind: 'preview', inputId, draft, plan: planTargets(draft.targets), accounts: views };
    },

    async recordRefused(actor, userId, source, reasons, found) {
      await inputs.recordInput(userId, source, 'refused', reasons, { ...(found.symbol ? { symbol: found.symbol } : {}), ...(found.side ? { action: found.side === 'long' ? 'BUY' : 'SELL' } : {}) }, new Date(clock.now()));
      await audit(actor, 'signal.post.refused', null, { symbol: found.symbol, side: found.side });
    },

    async choose(actor, userId, inputId, choice) {
      const now = clock.now();
      const result = await inputs.decidePreview(
        userId,
        inputId,
        choice,
        (d) => {
          const targets = Array.isArray(d.targets) ? (d.targets as number[]) : [];
          return {
            symbol: String(d.symbol),
            action: d.action === 'SELL' ? 'SELL' : 'BUY',
            stopLoss: typeof d.stopLoss === 'number' ? d.stopLoss : null,
            takeProfit: targets.at(-1) ?? null,
            expiresAt: new Date(now + SIGNAL_TTL_MS),
            reasoning: `${d.source === 'manual' ? '/signal' : 'channel post'}: ${String(d.side)} ${String(d.symbol)}${targets.length > 0 ? `; targets ${targets.join(', ')}` : ''}${typeof d.leverage === 'number' ? `; leverage ${d.leverage}×` : ''}`,
          };
        },
        new Date(now),
        PREVIEW_MAX_AGE_MS,
      );
      switch (result.kind) {
        case 'stored':
          await audit(actor, 'signal.post.trade', result.signalId, { inputId });
          return { ok: true, kind: 'stored', signalId: result.signalId, message: `Sent to the engine as your signal (for you only). /signals shows what it did.` };
        case 'ignored':
          await audit(actor, 'signal.post.ignore', inputId, {});
          return { ok: true, kind: 'ignored', message: 'Ignored: nothing was traded.' };
        case 'expired':
          return { ok: false, message: `This preview is older than ${PREVIEW_MAX_AGE_MS / 60_000} minutes: prices have moved. Send the post again for a fresh preview.` };
        case 'decided':
          return { ok: false, message: result.status === 'stored' ? 'Already sent: this signal is traded once.' : result.status === 'ignored' ? 'Already ignored.' : 'This preview is no longer open.' };
        case 'not_found':
          return { ok: false, message: 'This preview is not yours, or no longer exists.' };
      }
    },
  };
}

function detailsOf(draft: SignalDraft, source: PostSource, text: string | undefined): Record<string, unknown> {
  return {
    source,
    symbol: draft.symbol,
    action: draft.side === 'long' ? 'BUY' : 'SELL',
    side: draft.side,
    entry: draft.entry,
    targets: draft.targets,
    stopLoss: draft.stopLoss,
    leverage: draft.leverage,
    missing: draft.missing,
    notes: draft.notes,
    ...(text !== undefined ? { text: text.slice(0, 4096) } : {}),
  };
}
