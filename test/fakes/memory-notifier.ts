/** Records every engine event in memory; a dedupe key that was seen before is not stored again (like the outbox). */
import type { EngineEvent, Notifier } from '../../src/engine/events.ts';

export class MemoryNotifier implements Notifier {
  readonly events: EngineEvent[] = [];
  private readonly keys = new Set<string>();

  async notify(event: EngineEvent, dedupeKey?: string): Promise<void> {
    if (dedupeKey !== undefined) {
      if (this.keys.has(dedupeKey)) return;
      this.keys.add(dedupeKey);
    }
    this.events.push(event);
  }

  /** sent at once, around the outbox (the database outage notice) */
  readonly direct: EngineEvent[] = [];

  async notifyNow(event: EngineEvent): Promise<void> {
    this.direct.push(event);
  }

  async remember(): Promise<void> {}

  ofKind<K extends EngineEvent['kind']>(kind: K): Array<Extract<EngineEvent, { kind: K }>> {
    return this.events.filter((e): e is Extract<EngineEvent, { kind: K }> => e.kind === kind);
  }
}
