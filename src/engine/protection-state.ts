/**
 * Protections found active when an entry was decided, per account, for /status. Kept in memory:
 * the decision itself always reads the trades again (src/domain/protections.ts), this only says
 * what the latest decisions saw; a lock that has run out drops from the view by itself.
 */
import type { ProtectionLock } from '../domain/protections.ts';

export interface ProtectedAccount {
  userId: string;
  accountId: string;
  locks: ProtectionLock[];
}

export function createProtectionState() {
  const byAccount = new Map<string, ProtectedAccount>();
  return {
    /** the locks one decision found (empty clears the account) */
    record(userId: string, accountId: string, locks: readonly ProtectionLock[]): void {
      if (locks.length === 0) byAccount.delete(accountId);
      else byAccount.set(accountId, { userId, accountId, locks: [...locks] });
    },
    /** accounts with a lock still running at `now`, latest end first */
    active(now: number): ProtectedAccount[] {
      const out: ProtectedAccount[] = [];
      for (const [id, a] of byAccount) {
        const locks = a.locks.filter((l) => now < l.until);
        if (locks.length === 0) byAccount.delete(id);
        else out.push({ ...a, locks });
      }
      return out.sort((x, y) => Math.max(...y.locks.map((l) => l.until)) - Math.max(...x.locks.map((l) => l.until)));
    },
  };
}

export type ProtectionState = ReturnType<typeof createProtectionState>;
