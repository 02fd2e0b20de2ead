/** position_reevaluations: every change of stop loss, take profit or trailing stop (old/new, reason, action). */
import type { Db } from '../client.ts';
import { positionReevaluations } from '../schema.ts';
import { decOrNull } from './numbers.ts';

export interface NewReevaluation {
  positionId: string;
  /** stop_loss | take_profit | trailing_stop */
  type: string;
  oldSl?: number | null;
  newSl?: number | null;
  oldTp?: number | null;
  newTp?: number | null;
  oldTrailing?: number | null;
  newTrailing?: number | null;
  reason: string;
  actionTaken: string;
  /** ms since epoch */
  at: number;
}

export function createReevaluationsRepo(db: Db) {
  return {
    async insertMany(list: readonly NewReevaluation[], tx: Db = db): Promise<void> {
      if (list.length === 0) return;
      await tx.insert(positionReevaluations).values(
        list.map((r) => ({
          positionId: r.positionId,
          reevaluationType: r.type,
          oldSl: decOrNull(r.oldSl),
          newSl: decOrNull(r.newSl),
          oldTp: decOrNull(r.oldTp),
          newTp: decOrNull(r.newTp),
          oldTrailing: decOrNull(r.oldTrailing),
          newTrailing: decOrNull(r.newTrailing),
          reason: r.reason,
          actionTaken: r.actionTaken,
          createdAt: new Date(r.at),
        })),
      );
    },
  };
}

export type ReevaluationsRepo = ReturnType<typeof createReevaluationsRepo>;
