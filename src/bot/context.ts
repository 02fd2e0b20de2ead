/**
 * The bot's context types and the dependencies every feature may use. Features reach trading data
 * only through `engine` (the facade); repos are for users, accounts, settings and bot state.
 */
import type { Context } from 'grammy';
import type { Conversation, ConversationFlavor } from '@grammyjs/conversations';
import type { EngineFacade, Actor } from '../engine/facade.ts';
import type { UsersRepo, UserRecord } from '../db/repos/users.ts';
import type { AccountsRepo } from '../db/repos/accounts.ts';
import type { SettingsRepo } from '../db/repos/settings.ts';
import type { BotAudit } from './audit.ts';
import type { RecipientsRepo } from '../notify/recipients-repo.ts';
import type { OutboxRepo } from '../notify/outbox-repo.ts';
import type { Claims } from './storage.ts';
import type { Logger } from '../log.ts';

export interface TraderFlavor {
  /** the trader behind this update (undefined before /start) */
  trader?: UserRecord | undefined;
}

/** outside conversations */
export type BotContext = ConversationFlavor<Context> & TraderFlavor;
/** inside conversations: a plain context (side effects go through conversation.external) */
export type DialogContext = Context;
export type Dialog = Conversation<BotContext, DialogContext>;

export interface FeatureDeps {
  engine: EngineFacade;
  users: UsersRepo;
  accounts: AccountsRepo;
  settings: SettingsRepo;
  audit: BotAudit;
  recipients: RecipientsRepo;
  outbox: OutboxRepo;
  claims: Claims;
  logger: Logger;
  adminIds: readonly number[];
  now: () => Date;
  /** what a new paper wallet holds, USDT (PAPER_START_BALANCE) */
  paperStartBalance: number;
}

/** 10 000 → "10 000" (the thin space style of the texts) */
export function fmtBalance(usdt: number): string {
  return Math.round(usdt).toLocaleString('en-US').replace(/,/g, ' ');
}

export function actorOf(ctx: { from?: { id: number } | undefined }, trader: UserRecord | undefined, adminIds: readonly number[]): Actor {
  const telegramId = ctx.from?.id ?? 0;
  return { telegramId, ...(trader ? { userId: trader.id } : {}), ...(adminIds.includes(telegramId) ? { admin: true } : {}) };
}

export const NEEDS_START = 'Send /start first: it sets up your account with the bot.';
