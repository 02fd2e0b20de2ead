import type { Db } from '../../src/db/client.ts';
import { createUsersRepo } from '../../src/db/repos/users.ts';
import type { EngineFacade } from '../../src/engine/facade.ts';

/**
 * The trader removes their own account, as /accounts' Remove does: its API key can then be
 * checked as a new one (an account still holding the key refuses it as already connected).
 */
export async function removeOwnAccount(db: Db, facade: EngineFacade, userId: string, accountId: string): Promise<void> {
  const user = await createUsersRepo(db).byId(userId);
  if (!user) throw new Error(`no user ${userId}`);
  const result = await facade.removeAccount({ telegramId: user.telegramId, userId }, userId, accountId);
  if (!result.ok) throw new Error(result.message);
}
