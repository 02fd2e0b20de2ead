/**
 * The bot's context types and the dependencies every feature may use. Features reach trading data
 * only through `engine` (the facade); the bot's own state (dialogs, button claims) is injected.
 */
import type { Context } from 'grammy';
import type { Conversation, ConversationFlavor } from '@grammyjs/conversations';
import type { EngineFacade, Actor, TraderView } from '../engine/facade.ts';
import type { Claims } from '../domain/bot-storage.ts';
import type { Logger } from '../log.ts';

export interface TraderFlavor {
  /** the trader behind this update (undefined before /start) */
  trader?: TraderView | undefined;
}

/** outside conversations */
export type BotContext = ConversationFlavor<Context> & TraderFlavor;
/** inside conversations: a plain context (side effects go through conversation.external) */
export type DialogContext = Context;
export type Dialog = Conversation<BotContext, DialogContext>;

export interface FeatureDeps {
  /** everything about trading and traders (settings, alert levels, audit, pause) */
  engine: EngineFacade;
  /** one-shot button claims (the bot's own state) */
  claims: Claims;
  logger: Logger;
  /** who sees the admin menu; the engine checks the rights itself */
  adminIds: readonly number[];
  now: () => Date;
  /** what a new paper wallet holds, USDT (PAPER_START_BALANCE) */
  paperStartBalance: number;
}

/** 10 000 → "10 000" (the thin space style of the texts) */
export function fmtBalance(usdt: number): string {
  return Math.round(usdt).toLocaleString('en-US').replace(/,/g, ' ');
}

export function actorOf(ctx: { from?: { id: number } | undefined }, trader: TraderView | undefined, adminIds: readonly number[]): Actor {
  const telegramId = ctx.from?.id ?? 0;
  return { telegramId, ...(trader ? { userId: trader.id } : {}), ...(adminIds.includes(telegramId) ? { admin: true } : {}) };
}

export const NEEDS_START = 'Send /start first: it sets up your account with the bot.';
