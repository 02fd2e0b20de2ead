/**
 * The paper exchange's resting protective stops (the engine's backstop, SPEC §10), kept as the
 * live venues keep them and persisted with the paper account (PaperStore.saveStop), so a restart
 * finds them resting, fired or cancelled exactly as it left them. A spot stop holds the coins it
 * may sell; a fired stop's fill is the paper order `<client id>f`.
 */
import type { OrderRef, StopOrderState } from './port.ts';
import type { PaperStore } from './paper-store.ts';
import type { PaperStop } from '../domain/paper-account.ts';

export type { PaperStop };

export class PaperStopBook {
  private readonly stops = new Map<string, PaperStop>();
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: PaperStore,
    private readonly accountId: string,
    private readonly spot: boolean,
  ) {}

  /** reads the account's stops once (and their fills) */
  load(): Promise<void> {
    this.loading ??= (async () => {
      for (const stop of await this.store.loadStops(this.accountId)) {
        // a fired stop whose own row was not updated (the database failed between the two writes) is
        // known by its fill order: it counts as fired, never as resting (it would sell again)
        if ((stop.state.status === 'closed' || stop.state.status === 'open') && !stop.state.fill) {
          const fill = await this.store.findOrder(this.accountId, { clientOrderId: `${stop.state.clientOrderId}f` });
          if (fill) stop.state = { ...stop.state, status: 'closed', fill };
        }
        this.stops.set(stop.state.clientOrderId, stop);
      }
    })().catch((error: unknown) => {
      this.loading = undefined; // read again on the next call (the database was down)
      throw error;
    });
    return this.loading;
  }

  get(clientOrderId: string): PaperStop | undefined {
    return this.stops.get(clientOrderId);
  }

  find(ref: OrderRef): PaperStop | undefined {
    if (ref.clientOrderId !== undefined) return this.stops.get(ref.clientOrderId);
    return [...this.stops.values()].find((s) => s.state.id === ref.id);
  }

  async add(stop: PaperStop): Promise<void> {
    await this.store.saveStop(this.accountId, stop);
    this.stops.set(stop.state.clientOrderId, stop);
  }

  /** a status change (cancelled, fired, expired), stored before it counts */
  async update(stop: PaperStop, change: Pick<StopOrderState, 'status' | 'fill'>): Promise<void> {
    const next: PaperStop = { ...stop, state: { ...stop.state, ...change } };
    await this.store.saveStop(this.accountId, next);
    stop.state = next.state;
  }

  /** base units held by resting spot stops */
  lockedBy(base: string): number {
    if (!this.spot) return 0;
    let locked = 0;
    for (const s of this.stops.values()) if (s.base === base && s.state.status === 'open') locked += s.state.qty;
    return locked;
  }

  open(symbol?: string): PaperStop[] {
    return [...this.stops.values()].filter((s) => s.state.status === 'open' && (symbol === undefined || s.symbol === symbol));
  }
}
