/** Pause switches: per user (users.paused by the trader, users.paused_by_admin by an administrator) and for everyone (system_state 'paused_all'); engine markers. */
import { count, eq, or } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { systemState, users } from '../schema.ts';

const PAUSED_ALL = 'paused_all';

export function createTradingControlsRepo(db: Db) {
  const getState = async <T>(key: string): Promise<T | undefined> => {
    const [row] = await db.select().from(systemState).where(eq(systemState.key, key));
    return row ? (row.value as T) : undefined;
  };
  const setState = async (key: string, value: unknown, now: number): Promise<void> => {
    await db
      .insert(systemState)
      .values({ key, value, updatedAt: new Date(now) })
      .onConflictDoUpdate({ target: systemState.key, set: { value, updatedAt: new Date(now) } });
  };
  return {
    getState,
    setState,
    async setUserPaused(userId: string, paused: boolean, now: number): Promise<boolean> {
      const rows = await db.update(users).set({ paused, updatedAt: new Date(now) }).where(eq(users.id, userId)).returning({ id: users.id });
      return rows.length > 0;
    },
    /** an administrator's hold, apart from the trader's own pause */
    async setAdminHold(userId: string, held: boolean, now: number): Promise<boolean> {
      const rows = await db.update(users).set({ pausedByAdmin: held, updatedAt: new Date(now) }).where(eq(users.id, userId)).returning({ id: users.id });
      return rows.length > 0;
    },
    async pauseState(userId: string): Promise<{ byTrader: boolean; byAdmin: boolean } | undefined> {
      const [row] = await db.select({ byTrader: users.paused, byAdmin: users.pausedByAdmin }).from(users).where(eq(users.id, userId));
      return row;
    },
    /** paused by the trader or by an administrator */
    async isUserPaused(userId: string): Promise<boolean> {
      const state = await this.pauseState(userId);
      return state ? state.byTrader || state.byAdmin : false;
    },
    async pausedAll(): Promise<boolean> {
      return (await getState<boolean>(PAUSED_ALL)) === true;
    },
    async setPausedAll(paused: boolean, now: number): Promise<void> {
      await setState(PAUSED_ALL, paused, now);
    },
    async countUsers(): Promise<{ traders: number; paused: number }> {
      const [all] = await db.select({ n: count() }).from(users);
      const [paused] = await db.select({ n: count() }).from(users).where(or(eq(users.paused, true), eq(users.pausedByAdmin, true)));
      return { traders: Number(all?.n ?? 0), paused: Number(paused?.n ?? 0) };
    },
  };
}

export type TradingControlsRepo = ReturnType<typeof createTradingControlsRepo>;
