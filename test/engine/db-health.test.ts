/**
 * The database's health as the engine sees it (SPEC §10): down when a call misses its deadline, up
 * again at the first ping that answers, after which the outage's exits are recorded. A database
 * that goes down again while that recording runs (a loaded machine, seen in the cluster run) must
 * come back too: the recording's own flush asks for a probe, and must not wait for itself.
 */
import { describe, expect, it } from 'vitest';
import { createDatabaseHealth } from '../../src/engine/db-health.ts';
import { systemClock } from '../../src/engine/clock.ts';
import { silentLogger } from '../../src/engine/ports.ts';

const hang = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('database health', () => {
  it('down again while recording the last outage: the recording ends, and the next probe brings it back', async () => {
    let answers = true;
    const health = createDatabaseHealth({ ping: async () => answers }, systemClock, silentLogger, { probeMs: 50, deadlineMs: 50 });
    let recordings = 0;
    health.onRecovered(async () => {
      recordings++;
      if (recordings > 1) return;
      // the first recording: a write misses its deadline (down again), then a flush asks for a probe
      await health.bounded(hang).catch(() => {});
      expect(health.available()).toBe(false);
      expect(await health.probe()).toBe(false);
    });
    answers = false;
    await health.bounded(hang).catch(() => {});
    expect(health.available()).toBe(false);
    answers = true;
    for (let i = 0; i < 100 && !(health.available() && recordings === 2); i++) await sleep(20);
    expect(recordings).toBe(2);
    expect(health.available()).toBe(true);
    await health.settled();
    health.stop();
  });
});
