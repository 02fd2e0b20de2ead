/**
 * A check made right before each request leaves for the exchange, not only when the call began
 * (SPEC §12: a process that froze, or waited in ccxt's request throttle, past the moment it lost a
 * trader's shard must send nothing). The caller runs an order, stop or cancel under `actingUnder`;
 * the ccxt adapter asks `assertMayAct()` just before each HTTP request of that call (after ccxt's
 * throttle), and the check throws to stop the request. Requests made outside `actingUnder` (reads,
 * or a process with one owner of everything) are not checked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const acting = new AsyncLocalStorage<() => void>();

/** Runs `fn`; every request it makes to the exchange calls `assert` right before it leaves. */
export function actingUnder<T>(assert: () => void, fn: () => Promise<T>): Promise<T> {
  return acting.run(assert, fn);
}

/** Throws when the call this request belongs to may no longer act (see actingUnder). */
export function assertMayAct(): void {
  acting.getStore()?.();
}
