/**
 * The exit journal: the write-ahead record of an exit while the database is unreachable (SPEC §10,
 * exits do not wait on the database). One JSON line per event in `DATA_DIR/exit-journal.ndjson`,
 * each appended and fsync'ed before the order leaves:
 *
 *   {"t":"intent","at":…,"order":{…},"pending":{…}}   the order row and the position's pending intent
 *   {"t":"recorded","clientOrderId":"…"}               both are in the database now
 *
 * An intent without its `recorded` line is written to the database (idempotently: the order row
 * by its id, the pending intent only while the order is unresolved) when the database is back or
 * at the next start, before positions are restored; from there the ordinary lookup by client order
 * id completes it, so the exit is recorded once and never sent again. The file is emptied once
 * every intent in it is recorded.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NewOrder } from '../db/repos/orders.ts';
import type { PendingAction } from '../db/repos/positions.ts';

export interface JournalIntent {
  /** ms since epoch: when the order left */
  at: number;
  order: NewOrder;
  pending: PendingAction;
}

type Line = ({ t: 'intent' } & JournalIntent) | { t: 'recorded'; clientOrderId: string };

export interface ExitJournal {
  /** appends the intent and syncs it to disk; throws when the disk refuses (then nothing is sent) */
  intent(entry: JournalIntent): void;
  /** the intent's rows are in the database */
  recorded(clientOrderId: string): void;
  /** intents not yet recorded, oldest first */
  open(): JournalIntent[];
  /** where it lives (null: in memory, for tests without a data directory) */
  readonly path: string | null;
  close(): void;
}

/** `path` null: kept in memory only (survives a database outage, not a crash). */
export function openExitJournal(path: string | null): ExitJournal {
  const open = new Map<string, JournalIntent>();
  let fd: number | null = null;
  if (path !== null) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) for (const line of readLines(path)) apply(line);
    fd = openSync(path, 'a');
    if (open.size === 0) ftruncateSync(fd, 0);
  }

  function apply(line: Line): void {
    if (line.t === 'intent') open.set(line.order.clientOrderId, { at: line.at, order: line.order, pending: line.pending });
    else open.delete(line.clientOrderId);
  }

  function append(line: Line): void {
    if (fd !== null) {
      writeSync(fd, `${JSON.stringify(line)}\n`);
      fsyncSync(fd);
    }
    apply(line);
    // every intent recorded: the file starts over (appends go to its end whatever its length)
    if (fd !== null && open.size === 0) ftruncateSync(fd, 0);
  }

  return {
    path,
    intent: (entry) => append({ t: 'intent', ...entry }),
    recorded(clientOrderId) {
      if (open.has(clientOrderId)) append({ t: 'recorded', clientOrderId });
    },
    open: () => [...open.values()].sort((a, b) => a.at - b.at),
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** Lines of the file; a torn last line (a crash mid-append, before its fsync returned) is skipped: its order never left. */
function readLines(path: string): Line[] {
  const out: Line[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    try {
      out.push(JSON.parse(text) as Line);
    } catch {
      // torn write
    }
  }
  return out;
}
