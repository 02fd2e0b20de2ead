/**
 * The trader side of the facade: trader records, settings, alert levels, the audit log, and who may
 * pause whom. Administrator rights are decided here, from the engine's own list of Telegram ids,
 * whatever a caller claims in its Actor.
 */
import type { UserRecord, UsersRepo } from '../db/repos/users.ts';
import type { SettingsRepo } from '../db/repos/settings.ts';
import type { RecipientsRepo } from '../db/repos/recipients.ts';
import type { AuditRepo } from '../db/repos/audit.ts';
import type { TradingControlsRepo } from '../db/repos/trading-controls.ts';
import type { Clock } from './clock.ts';
import type { Actor, EngineFacade, NotAdmin, PauseResult, TraderDesk, TraderView } from './facade.ts';

export interface TraderDeskDeps {
  users: UsersRepo;
  /** the trader's own settings rows */
  settings: SettingsRepo;
  recipients: RecipientsRepo;
  audit: Pick<AuditRepo, 'record'>;
  controls: TradingControlsRepo;
  clock: Clock;
  /** ADMIN_TELEGRAM_IDS */
  adminIds: readonly number[];
}

export type PauseControls = Pick<EngineFacade, 'pauseUser' | 'resumeUser' | 'pauseAll' | 'resumeAll'>;

const NOT_ADMIN: NotAdmin = { ok: false, code: 'not_admin', message: 'This is for administrators only.' };

const toView = (u: UserRecord): TraderView => ({
  id: u.id,
  telegramId: u.telegramId,
  chatId: u.chatId,
  username: u.username,
  firstName: u.firstName,
  paused: u.paused,
  pausedByAdmin: u.pausedByAdmin,
  notifyPrefs: u.notifyPrefs,
});

export interface Desk extends TraderDesk, PauseControls {
  /** the caller is this trader (by Telegram id, as the engine has it), or an administrator */
  actsFor(actor: Actor, userId: string): Promise<boolean>;
}

export function createTraderDesk(deps: TraderDeskDeps): Desk {
  const { users, settings, recipients } = deps;
  const isAdmin = (actor: Actor) => deps.adminIds.includes(actor.telegramId);
  const audit = (actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}) =>
    deps.audit.record({ actorTelegramId: actor.telegramId, actorUserId: actor.userId ?? null, action, target, details, at: deps.clock.now() });

  /** the trader themself (the Telegram id the engine holds for them, whatever userId the caller names) */
  const isSelf = async (actor: Actor, userId: string) => (await users.byId(userId))?.telegramId === actor.telegramId;
  const mayActFor = async (actor: Actor, userId: string) => isAdmin(actor) || (await isSelf(actor, userId));

  async function setPause(actor: Actor, userId: string, pause: boolean): Promise<PauseResult> {
    const self = await isSelf(actor, userId);
    if (!self && !isAdmin(actor)) {
      await audit(actor, pause ? 'trading.pause_user.refused' : 'trading.resume_user.refused', userId);
      return NOT_ADMIN;
    }
    const now = deps.clock.now();
    const before = await deps.controls.pauseState(userId);
    if (!before) return { ok: false, code: 'not_found', message: 'No such trader.' };
    // the trader's own switch and the administrator's hold are apart: each lifts only its own
    if (self) await deps.controls.setUserPaused(userId, pause, now);
    else await deps.controls.setAdminHold(userId, pause, now);
    await audit(actor, pause ? 'trading.pause_user' : 'trading.resume_user', userId, { by: self ? 'trader' : 'admin' });
    const after = (await deps.controls.pauseState(userId))!;
    const paused = after.byTrader || after.byAdmin;
    let message: string;
    if (self && pause) message = 'Paused: no new positions will be opened. Open positions stay protected.';
    else if (self && after.byAdmin) message = 'An administrator has paused your trading; it stays paused until an administrator resumes it. Open positions stay protected.';
    else if (self) message = 'Resumed: new signals will open positions again.';
    else if (pause) message = 'Paused by an administrator: the trader cannot resume it themself.';
    else if (after.byTrader) message = "The administrator's hold is lifted; the trader's own pause stays until they /resume.";
    else message = 'Resumed: new signals will open positions again.';
    return { ok: true, message, target: { userId, paused, heldByAdmin: after.byAdmin } };
  }

  async function setAll(actor: Actor, pause: boolean): Promise<PauseResult> {
    if (!isAdmin(actor)) {
      await audit(actor, pause ? 'trading.pause_all.refused' : 'trading.resume_all.refused', null);
      return NOT_ADMIN;
    }
    await deps.controls.setPausedAll(pause, deps.clock.now());
    await audit(actor, pause ? 'trading.pause_all' : 'trading.resume_all', null);
    return { ok: true, message: pause ? 'Paused for everyone: no new positions; open positions stay protected.' : 'Resumed for everyone.', target: 'everyone' };
  }

  return {
    actsFor: mayActFor,
    isAdmin,
    async traderByTelegramId(telegramId) {
      const u = await users.byTelegramId(telegramId);
      return u ? toView(u) : undefined;
    },
    async registerTrader(who) {
      const { user, created } = await users.upsertFromTelegram(who);
      return { trader: toView(user), created };
    },
    tradingSettings: (userId) => settings.get(userId),
    async updateSettings(actor, userId, patch) {
      if (!(await mayActFor(actor, userId))) return { ok: false, message: 'These are not your settings.' };
      const r = await settings.update(userId, patch);
      if (!r.ok) return { ok: false, message: r.error.join('; ') };
      await audit(actor, 'settings.update', userId, { ...patch });
      return { ok: true, settings: r.value };
    },
    notifyPrefs: (userId) => recipients.prefs(userId),
    async setNotifyLevel(actor, userId, kind, level) {
      if (!(await mayActFor(actor, userId))) return recipients.prefs(userId);
      const prefs = await recipients.setLevel(userId, kind, level);
      await audit(actor, 'notify.update', kind, { level });
      return prefs;
    },
    async listTraders(actor, limit) {
      if (!isAdmin(actor)) {
        await audit(actor, 'admin.users.refused', null);
        return NOT_ADMIN;
      }
      return { ok: true, traders: await recipients.listTraders(limit) };
    },
    recordAudit: (actor, action, target, details) => audit(actor, action, target ?? null, details ?? {}),
    pauseUser: (actor, userId) => setPause(actor, userId, true),
    resumeUser: (actor, userId) => setPause(actor, userId, false),
    pauseAll: (actor) => setAll(actor, true),
    resumeAll: (actor) => setAll(actor, false),
  };
}
