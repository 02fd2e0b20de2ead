/**
 * Sending one order exactly once. The caller has already written the order row (pending, our
 * clientOrderId). A definite refusal means nothing was placed; an ambiguous failure (timeout,
 * network, 5xx, anything unexpected) is resolved by looking the order up by clientOrderId, never
 * by sending it again. When even the lookup fails the order is 'unknown' and stays blocked
 * until the sweep (or the next start) resolves it.
 */
import { isExchangeError, type ExchangeErrorCode, type ExchangePort, type OrderResult } from '../exchange/port.ts';

/** Codes after which the order may still exist on the exchange. */
const AMBIGUOUS: ReadonlySet<ExchangeErrorCode> = new Set<ExchangeErrorCode>(['TIMEOUT', 'NETWORK', 'EXCHANGE_UNAVAILABLE', 'UNKNOWN']);

export type SendOutcome =
  | { kind: 'placed'; result: OrderResult }
  /** nothing was placed; safe to try again later with a new clientOrderId */
  | { kind: 'refused'; code: ExchangeErrorCode | 'UNEXPECTED'; message: string }
  /** we cannot tell yet; must be looked up before anything else happens to this position */
  | { kind: 'unknown'; message: string };

export async function sendOnce(
  port: ExchangePort,
  symbol: string,
  clientOrderId: string,
  send: () => Promise<OrderResult>,
): Promise<SendOutcome> {
  try {
    return { kind: 'placed', result: await send() };
  } catch (error) {
    if (isExchangeError(error) && !AMBIGUOUS.has(error.code)) {
      return { kind: 'refused', code: error.code, message: error.message };
    }
    return lookUp(port, symbol, clientOrderId, error);
  }
}

/** Resolves an order whose answer we lost: found → placed; not found → refused; lookup failed → unknown. */
export async function lookUp(port: ExchangePort, symbol: string, clientOrderId: string, cause?: unknown): Promise<SendOutcome> {
  try {
    const found = await port.fetchOrder(symbol, { clientOrderId });
    if (found) return { kind: 'placed', result: found };
    const message = cause instanceof Error ? cause.message : 'the exchange does not know the order';
    return { kind: 'refused', code: isExchangeError(cause) ? cause.code : 'UNEXPECTED', message };
  } catch (error) {
    return { kind: 'unknown', message: error instanceof Error ? error.message : String(error) };
  }
}
