/**
 * Periodic jobs (signal sweep, monitor sweep, flush) on node-cron, without overlap: a run that
 * takes longer than the period is not started twice. Periods that a cron expression cannot say
 * exactly (not dividing a minute or an hour) fall back to a timer.
 */
import { createTask } from 'node-cron';

export type Cancel = () => void;

export function cronExpression(seconds: number): string | undefined {
  if (Number.isInteger(seconds) && seconds >= 1 && seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
  const minutes = seconds / 60;
  if (Number.isInteger(minutes) && minutes >= 1 && minutes < 60 && 60 % minutes === 0) return `*/${minutes} * * * *`;
  return undefined;
}

export function every(seconds: number, job: () => Promise<void>, onError: (error: unknown) => void): Cancel {
  const safe = () => job().catch(onError);
  const expression = cronExpression(seconds);
  if (expression) {
    const task = createTask(expression, safe, { noOverlap: true });
    void task.start();
    return () => void task.destroy();
  }
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void safe().finally(() => (busy = false));
  }, Math.max(1, seconds) * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
