/**
 * What the paper exchange needs to keep its wallets across restarts (tables paper_balances,
 * paper_positions, paper_orders): the interface is declared here, next to its one user; the
 * database-backed store is src/db/repos/paper-store.ts (wired in main.ts), and an in-memory store
 * serves backtests and tests. A fill is saved in one transaction: balances, the position and the
 * order change together or not at all.
 */
import type { OrderResult } from './port.ts';
import type { PaperChange, PaperPosition, PaperState, PaperStop } from '../domain/paper-account.ts';

export type { PaperChange, PaperPosition, PaperState };

export interface PaperStore {
  /** undefined when the account has never been used */
  load(accountId: string): Promise<PaperState | undefined>;
  save(accountId: string, change: PaperChange): Promise<void>;
  findOrder(accountId: string, ref: { id?: string | undefined; clientOrderId?: string | undefined }): Promise<OrderResult | undefined>;
  /** the account's protective stops, resting, fired or cancelled (paper_orders rows of type 'stop') */
  loadStops(accountId: string): Promise<PaperStop[]>;
  /** a stop placed or changed (one row per client id) */
  saveStop(accountId: string, stop: PaperStop): Promise<void>;
}

export function createMemoryPaperStore(): PaperStore {
  const states = new Map<string, PaperState>();
  const orders = new Map<string, OrderResult[]>();
  const stops = new Map<string, Map<string, PaperStop>>();
  const copy = (s: PaperStop): PaperStop => ({ ...s, state: { ...s.state } });
  return {
    async loadStops(accountId) {
      return [...(stops.get(accountId)?.values() ?? [])].map(copy);
    },
    async saveStop(accountId, stop) {
      const byId = stops.get(accountId) ?? new Map<string, PaperStop>();
      byId.set(stop.state.clientOrderId, copy(stop));
      stops.set(accountId, byId);
    },
    async load(accountId) {
      const state = states.get(accountId);
      return state && { balances: new Map(state.balances), positions: new Map([...state.positions].map(([k, v]) => [k, { ...v }])) };
    },
    async save(accountId, change) {
      const state = states.get(accountId) ?? { balances: new Map(), positions: new Map() };
      for (const [currency, total] of change.balances) state.balances.set(currency, total);
      for (const position of change.positions) {
        if (position.qty > 0) state.positions.set(position.symbol, { ...position });
        else state.positions.delete(position.symbol);
      }
      states.set(accountId, state);
      if (change.order) {
        const list = orders.get(accountId) ?? [];
        const at = list.findIndex((o) => o.clientOrderId === change.order!.clientOrderId);
        if (at >= 0) list[at] = change.order;
        else list.push(change.order);
        orders.set(accountId, list);
      }
    },
    async findOrder(accountId, ref) {
      return (orders.get(accountId) ?? []).find((o) => (ref.id !== undefined ? o.id === ref.id : o.clientOrderId === ref.clientOrderId));
    },
  };
}
