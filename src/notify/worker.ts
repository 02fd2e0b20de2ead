/**
 * The alert delivery worker: claims the oldest pending alert of each chat from the outbox, sends it
 * within the token's one outgoing budget (shared with the bot's replies, which go first; one alert
 * per alertGapMs per chat, one in flight per chat so a chat's alerts keep their order), marks it
 * sent, or schedules a retry with backoff.
 * Telegram's 429 `retry_after` is obeyed; 403 (bot blocked) and other permanent 4xx give up ('dead').
 */
import { GrammyError, HttpError } from 'grammy';
import type { Logger } from '../log.ts';
import type { OutboxRepo, OutboxRow } from '../db/repos/outbox.ts';
import { SendBudget, type SendLimits } from '../telegram/send-budget.ts';

/** Sends one alert; resolves with Telegram's message id. */
export type AlertSender = (row: OutboxRow) => Promise<number>;

export interface OutboxWorkerDeps {
  outbox: OutboxRepo;
  send: AlertSender;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** the token's budget shared with the bot's replies; without one the worker paces alone with `pacing` */
  budget?: SendBudget;
  pacing?: Partial<SendLimits>;
  /** ms between looks at the outbox when idle */
  pollMs?: number;
  /** ms a claimed row stays invisible to other claims (covers a crash mid-send) */
  leaseMs?: number;
  maxInFlight?: number;
  /** ms between re-reads of the outbox while it is busy */
  refreshMs?: number;
  /** ms a delivered alert is kept (then pruned, hourly); default 7 days */
  keepSentMs?: number;
  /** max backoff in ms for transient failures */
  maxBackoffMs?: number;
  now?: () => number;
  /**
   * several processes (SPEC §12): whether this process still runs the alert sender (holds its
   * lease); asked before each look and again right before each send, so a process that wakes from
   * a freeze past its lease sends nothing on top of the new holder's budget
   */
  mayRun?: () => boolean;
}

export interface OutboxWorker {
  start(): void;
  /** look now (called after an alert is queued) */
  kick(): void;
  /** stop claiming; waits for the sends in flight */
  stop(): Promise<void>;
  stats(): { sent: number; retried: number; dead: number; inFlight: number };
}

type Failure = { retryInMs: number; countsAsAttempt: boolean; reason: string } | { dead: true; reason: string };

export function classifyFailure(e: unknown, attempts: number, maxBackoffMs: number): Failure {
  const backoff = Math.min(maxBackoffMs, 1000 * 2 ** Math.min(attempts, 20));
  if (e instanceof GrammyError) {
    const reason = `${e.error_code} ${e.description}`;
    if (e.error_code === 429) return { retryInMs: (e.parameters.retry_after ?? 1) * 1000, countsAsAttempt: false, reason };
    if (e.error_code === 403) return { dead: true, reason };
    if (e.error_code >= 400 && e.error_code < 500) return attempts >= 2 ? { dead: true, reason } : { retryInMs: backoff, countsAsAttempt: true, reason };
    return { retryInMs: backoff, countsAsAttempt: true, reason };
  }
  if (e instanceof HttpError) return { retryInMs: backoff, countsAsAttempt: true, reason: `network: ${e.message}` };
  return { retryInMs: backoff, countsAsAttempt: true, reason: e instanceof Error ? e.message : String(e) };
}

export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const now = deps.now ?? Date.now;
  const pacer = deps.budget ?? new SendBudget(deps.pacing, now);
  const pollMs = deps.pollMs ?? 500;
  const leaseMs = deps.leaseMs ?? 120_000;
  const maxInFlight = deps.maxInFlight ?? 60;
  const maxBackoffMs = deps.maxBackoffMs ?? 300_000;
  const refreshMs = deps.refreshMs ?? 250;
  const keepSentMs = deps.keepSentMs ?? 7 * 86_400_000;
  /** heads read per look: twice what can be in flight, so chats still inside their 1 s gap never hide sendable ones */
  const headsLimit = 2 * maxInFlight;
  let lastPrune = -Infinity;
  const inFlight = new Map<number, Promise<void>>();
  const chatsInFlight = new Set<number>();
  let running = false;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const stats = { sent: 0, retried: 0, dead: 0 };

  function schedule(ms: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void pump(), ms);
  }

  async function deliver(row: OutboxRow): Promise<void> {
    if (deps.mayRun && !deps.mayRun()) {
      // claimed before the lease was lost: due again at once, for the process that holds it now
      await deps.outbox.markFailed(row.id, 'handed to the process that runs the alert sender', new Date(now()), false, row.attempts).catch(() => {});
      return;
    }
    try {
      const messageId = await deps.send(row);
      // sent_at is when Telegram took it: a restarted worker paces the chat from there
      await deps.outbox.markSent(row.id, messageId, new Date(now()));
      stats.sent++;
    } catch (e) {
      const f = classifyFailure(e, row.attempts, maxBackoffMs);
      try {
        if ('dead' in f) {
          stats.dead++;
          deps.logger.error({ alertId: row.id, chatId: row.chatId, kind: row.kind, reason: f.reason }, 'alert cannot be delivered; giving up');
          await deps.outbox.markFailed(row.id, f.reason, null, true, row.attempts);
        } else {
          stats.retried++;
          if (e instanceof GrammyError && e.error_code === 429) {
            pacer.backOff(row.chatId, f.retryInMs / 1000);
          }
          deps.logger.warn({ alertId: row.id, chatId: row.chatId, reason: f.reason, retryInMs: f.retryInMs }, 'alert not delivered yet; will retry');
          await deps.outbox.markFailed(row.id, f.reason, new Date(now() + f.retryInMs), f.countsAsAttempt, row.attempts);
        }
      } catch (dbError) {
        // the lease expires and the row is tried again: nothing is lost
        deps.logger.error({ alertId: row.id, err: dbError }, 'could not record the delivery attempt');
      }
    }
  }

  /**
   * The due heads of the chats' queues (the oldest headsLimit), read at most every refreshMs, or at
   * once when a kick finds nothing left to send: a busy outbox is not re-read for every message
   * queued or sent (a new row has the newest id, so it would wait behind these anyway). A row taken
   * from here is claimed atomically before it is sent, so a stale entry is harmless.
   */
  let heads: OutboxRow[] = [];
  let headsAt = -Infinity;
  let headsStale = true;

  async function pump(): Promise<void> {
    if (!running) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    let nextLookMs = pollMs;
    try {
      do {
        again = false;
        if (deps.mayRun && !deps.mayRun()) break;
        const t = now();
        const capacity = Math.min(maxInFlight - inFlight.size, pacer.available());
        if (capacity <= 0) {
          nextLookMs = Math.max(5, pacer.msUntilFree());
          break;
        }
        if (headsStale || t - headsAt >= refreshMs) {
          heads = await deps.outbox.dueHeads(new Date(t), headsLimit);
          headsAt = t;
          headsStale = false;
        }
        const due = heads.filter((r) => r.nextAttemptAt.getTime() <= t && !chatsInFlight.has(r.chatId));
        const ready = due.filter((r) => pacer.chatReady(r.chatId)).slice(0, capacity);
        if (due.length > ready.length) nextLookMs = Math.min(nextLookMs, 50);
        if (ready.length === 0) {
          if (heads.length > 0) nextLookMs = Math.min(nextLookMs, refreshMs);
          break;
        }
        // each row takes its slot in the shared budget first (a reply may have come in meanwhile);
        // a row another worker claimed first only wasted a slot: slower, never over the limit
        const slotted = ready.filter((r) => pacer.takeForAlert(r.chatId));
        if (slotted.length === 0) {
          nextLookMs = Math.min(nextLookMs, 20);
          break;
        }
        const taken = new Set(slotted.map((r) => r.id));
        heads = heads.filter((r) => !taken.has(r.id));
        const claimed = await deps.outbox.claim([...taken], new Date(t), new Date(t + leaseMs));
        for (const row of claimed) {
          // the chat's gap counts from the moment the message leaves, not from the look
          pacer.alertLeaves(row.chatId);
          chatsInFlight.add(row.chatId);
          const p = deliver(row).finally(() => {
            inFlight.delete(row.id);
            chatsInFlight.delete(row.chatId);
            if (running) void pump();
          });
          inFlight.set(row.id, p);
        }
        again = true;
      } while (again && running);
      pacer.prune();
      if (now() - lastPrune > 3_600_000) {
        lastPrune = now();
        await deps.outbox.pruneSent(new Date(lastPrune - keepSentMs));
      }
    } catch (e) {
      headsStale = true;
      deps.logger.error({ err: e }, 'alert outbox unavailable; will look again');
      nextLookMs = Math.max(pollMs, 1000);
    } finally {
      pumping = false;
      schedule(nextLookMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      const t = now();
      // a process killed mid-send left its claims (a lease of leaseMs): due at once, or the chat
      // would hear nothing new until that lease ran out (the alert may come twice: at least once)
      void deps.outbox
        .releaseClaims(new Date(t))
        .then((n) => n > 0 && deps.logger.info({ alerts: n }, 'alerts claimed or waiting before the restart are due now'))
        .catch(() => undefined)
        .then(() => deps.outbox.lastSentPerChat(new Date(t - Math.max(pacer.limits.alertGapMs, 1000))))
        .then((list) => list.forEach((s) => pacer.sentEarlier(s.chatId, s.at.getTime())))
        .catch(() => undefined)
        .finally(() => void pump());
    },
    kick() {
      if (heads.length === 0) headsStale = true;
      if (running) void pump();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...inFlight.values()]);
    },
    stats: () => ({ ...stats, inFlight: inFlight.size }),
  };
}
