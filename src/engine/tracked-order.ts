/**
 * Sending one order exactly once, and resolving one whose answer was lost. The caller has
 * already written the order row (pending, our clientOrderId, sent_at). A definite refusal means
 * nothing was placed. An ambiguous failure (timeout, network, 5xx, anything unexpected) makes
 * the order UNKNOWN, never absent: it is looked up by clientOrderId until the exchange has
 * certainly seen it (found) or certainly not (not found beyond the horizon: the request timeout
 * plus the exchange's receive window after our last request left). Only then is anything decided;
 * an order is never sent again under the same client id.
 */
import { isExchangeError, type ExchangeErrorCode, type ExchangePort, type OrderResult } from '../exchange/port.ts';
import type { OrderRecord } from '../db/repos/orders.ts';

/** Codes after which the order may still exist on the exchange. */
const AMBIGUOUS: ReadonlySet<ExchangeErrorCode> = new Set<ExchangeErrorCode>(['TIMEOUT', 'NETWORK', 'EXCHANGE_UNAVAILABLE', 'UNKNOWN']);

/** sends of one intent at most (each under its own client id, each after the last was certainly absent) */
export const MAX_ATTEMPTS = 3;

export type SendOutcome =
  | { kind: 'placed'; result: OrderResult }
  /** the exchange refused it: nothing was placed */
  | { kind: 'refused'; code: ExchangeErrorCode | 'UNEXPECTED'; message: string }
  /** the answer was lost and the exchange has certainly not taken the order: the intent may be sent again, under its next id */
  | { kind: 'absent'; message: string }
  /**
   * we cannot tell yet; must be looked up before anything else happens to this position.
   * `lostAt`: the answer was lost just now (ms), and the horizon runs from then.
   */
  | { kind: 'unknown'; message: string; lostAt?: number };

/**
 * Our client order id for attempt `attempt` (1-based) of an intent: deterministic, so every send
 * of an intent can be looked up, and distinct per attempt, so a re-sent intent never reuses an id
 * (Binance keeps client ids unique only among open orders). Alphanumeric, at most 31 characters.
 */
export function intentClientOrderId(intentId: string, attempt: number): string {
  return `ase${intentId.replace(/[^0-9a-f]/gi, '').slice(0, 24)}n${attempt}`;
}

/** The attempt number in one of our client ids (1 for ids written before attempts were numbered). */
export function attemptOf(clientOrderId: string): number {
  const match = /n(\d+)$/.exec(clientOrderId);
  return match ? Number(match[1]) : 1;
}

/** The intent part of one of our client ids. */
export function intentOf(clientOrderId: string): string {
  return clientOrderId.replace(/^ase/, '').replace(/n\d+$/, '');
}

/** ms: an exchange's clock may run behind ours; its order lists are read from this long before we sent */
const CLOCK_SKEW_MS = 60_000;

export async function sendOnce(
  port: ExchangePort,
  symbol: string,
  clientOrderId: string,
  now: () => number,
  send: () => Promise<OrderResult>,
): Promise<SendOutcome> {
  const sentAt = now();
  try {
    return { kind: 'placed', result: await send() };
  } catch (error) {
    if (isExchangeError(error) && !AMBIGUOUS.has(error.code)) {
      return { kind: 'refused', code: error.code, message: error.message };
    }
    const lostAt = now();
    const outcome = await lookUp(port, symbol, clientOrderId, { certainAt: lostAt + (port.orderHorizonMs ?? 0), now: lostAt, sentAt });
    return outcome.kind === 'unknown' ? { ...outcome, lostAt } : outcome;
  }
}

/**
 * When the exchange has certainly seen an order or certainly not (ms). An order row still
 * `pending` was being sent by a process that has since stopped: its last request left before
 * this process started.
 */
export function certainAfter(order: Pick<OrderRecord, 'status' | 'sentAt'>, port: ExchangePort, startedAt: number): number {
  const from = order.status === 'pending' ? Math.max(order.sentAt, startedAt) : order.sentAt;
  return from + (port.orderHorizonMs ?? 0);
}

export interface LookUpTimes {
  /** ms: from then on, an order no source knows is certainly absent */
  certainAt: number;
  now: number;
  /** ms: when the order was first sent (the account's order lists are read from shortly before) */
  sentAt: number;
}

/**
 * Resolves an order whose answer we lost, by our client id: the exchange's lookup first and,
 * where that says "not found", the account's recent orders and trades (a lookup may lag the
 * matching engine, or not reach every order). Found → placed; found nowhere → unknown until
 * `certainAt`, absent after; a source that fails → unknown.
 */
export async function lookUp(port: ExchangePort, symbol: string, clientOrderId: string, times: LookUpTimes): Promise<SendOutcome> {
  try {
    const found = (await port.fetchOrder(symbol, { clientOrderId })) ?? (await port.findRecentOrder?.(symbol, clientOrderId, times.sentAt - CLOCK_SKEW_MS));
    if (found) return { kind: 'placed', result: found };
    if (times.now >= times.certainAt) return { kind: 'absent', message: 'the exchange never took the order' };
    return { kind: 'unknown', message: `not known to the exchange yet; certain after ${new Date(times.certainAt).toISOString()}` };
  } catch (error) {
    return { kind: 'unknown', message: error instanceof Error ? error.message : String(error) };
  }
}
