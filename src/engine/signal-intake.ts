/**
 * Ingestion: ids pushed by the sources are processed at once; the sweep (at start and every
 * signalSweepSeconds) lists the live signals still lacking an execution record for some user.
 * An id already being processed is not started twice in this process; across processes the
 * (user, signal) claim decides.
 */
import { MAX_SIGNAL_AGE_MS } from '../domain/signals.ts';
import type { SignalRecord } from '../db/repos/signals.ts';
import type { EngineContext } from './context.ts';
import type { CycleReport, SignalProcessor } from './execute-signal.ts';
import type { SignalSource } from './signal-sources.ts';

export interface LastCycle {
  at: number;
  signals: number;
  executed: number;
  rejected: number;
}

export function createSignalIntake(ctx: EngineContext, processor: SignalProcessor, sources: readonly SignalSource[]) {
  const { repos, clock, logger } = ctx;
  const inFlight = new Map<string, Promise<CycleReport | undefined>>();
  let accepting = false;
  let lastCycle: LastCycle | null = null;

  function note(reports: ReadonlyArray<CycleReport | undefined>): void {
    const done = reports.filter((r): r is CycleReport => r !== undefined);
    lastCycle = {
      at: clock.now(),
      signals: done.length,
      executed: done.reduce((s, r) => s + r.executed, 0),
      rejected: done.reduce((s, r) => s + r.rejected, 0),
    };
  }

  function process(signal: SignalRecord, how: { announce?: boolean } = {}): Promise<CycleReport | undefined> {
    const running = inFlight.get(signal.id);
    if (running) return running;
    const work = processor
      .processSignal(signal, how)
      .catch((error: unknown) => {
        logger.error({ err: error, signalId: signal.id }, 'signal processing failed');
        return undefined;
      })
      .finally(() => inFlight.delete(signal.id));
    inFlight.set(signal.id, work);
    return work;
  }

  /** A source's push: load the row and process it. */
  async function onSignalId(id: string): Promise<CycleReport | undefined> {
    if (!accepting) return undefined;
    const signal = await repos.signals.get(id).catch(() => undefined);
    if (!signal) return undefined;
    const report = await process(signal);
    note([report]);
    return report;
  }

  /**
   * Every live signal (younger than the age limit), oldest first, for this process's traders;
   * `announce` (the bot's one sweep, SPEC §12): signals other processes' traders still lack are
   * announced to them again.
   */
  async function sweep(how: { announce?: boolean } = {}): Promise<CycleReport[]> {
    const signals = await repos.signals.createdSince(clock.now() - MAX_SIGNAL_AGE_MS);
    const reports: Array<CycleReport | undefined> = [];
    for (const s of signals) if (s.action.toUpperCase() !== 'HOLD') reports.push(await process(s, how));
    note(reports);
    return reports.filter((r): r is CycleReport => r !== undefined);
  }

  async function start(): Promise<void> {
    accepting = true;
    for (const source of sources) {
      await source.start((id) => void onSignalId(id)).catch((error: unknown) => logger.error({ err: error, source: source.name }, 'signal source failed to start; the sweep still runs'));
    }
  }

  async function stop(): Promise<void> {
    accepting = false;
    await Promise.all(sources.map((s) => s.stop()));
    await Promise.all([...inFlight.values()]);
  }

  /** Resolves when every signal being processed is done. */
  async function settle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
  }

  return { start, stop, sweep, onSignalId, settle, lastCycle: () => lastCycle };
}

export type SignalIntake = ReturnType<typeof createSignalIntake>;
