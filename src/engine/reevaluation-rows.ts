/** A monitor 'reevaluation' action as a position_reevaluations row. */
import type { MonitorAction } from '../domain/types.ts';
import type { NewReevaluation } from '../db/repos/reevaluations.ts';

export function reevaluationRow(positionId: string, a: Extract<MonitorAction, { type: 'reevaluation' }>, actionTaken: string): NewReevaluation {
  const row: NewReevaluation = { positionId, type: a.field, reason: a.reason, actionTaken, at: a.time };
  if (a.field === 'stop_loss') Object.assign(row, { oldSl: a.old, newSl: a.new });
  else if (a.field === 'take_profit') Object.assign(row, { oldTp: a.old, newTp: a.new });
  else Object.assign(row, { oldTrailing: a.old, newTrailing: a.new });
  return row;
}
