/**
 * Open loop: jobs submitted one by one at a fixed arrival rate, whether or not earlier ones have
 * started (as Hatchet's load test does); submit-to-start percentiles per rate. The submit time is
 * taken in the harness just before the submit call; the start comes from the system's records.
 */
import { performance } from 'node:perf_hooks';
import type { System } from '../systems/system.js';
import { drained, latencyFigures, sleep, startLatencies, warmUp, type Figures } from './common.js';

/** Settings of the open loop. */
export interface OpenLoopSettings {
  rates: number[];
  seconds: number;
  warmUpJobs: number;
  concurrency: number;
  /** How long after the last submit the jobs get to start; later ones count as never started. */
  drainTimeoutMs: number;
  /** Start times read for at most this many jobs per rate (an even sample). */
  sampleLimit: number;
}

/** Runs every rate, each on a fresh instance of the system. */
export async function openLoop(system: System, settings: OpenLoopSettings): Promise<Figures> {
  const figures: Figures = {};
  for (const rate of settings.rates) Object.assign(figures, await oneRate(system, rate, settings));
  return figures;
}

async function oneRate(system: System, rate: number, settings: OpenLoopSettings): Promise<Figures> {
  const session = await system.open(settings.concurrency, { startTimes: true, completions: false });
  try {
    await warmUp(session, settings.warmUpJobs);
    const total = Math.round(rate * settings.seconds);
    const submitted = new Map<string, number>();
    const pending: Promise<void>[] = [];
    let failures = 0;
    const begin = performance.now();
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const at = Date.now();
        pending.push(
          session.submitOne().then(
            (id) => void submitted.set(id, at),
            () => void failures++,
          ),
        );
      }
      await sleep(1);
    }
    const lastSubmit = performance.now();
    await Promise.all(pending);
    const achieved = total / ((lastSubmit - begin) / 1000);
    await drained(session, settings.drainTimeoutMs);
    const latencies = await startLatencies(session, submitted, settings.sampleLimit);
    return {
      ...latencyFigures(`openLoop.${rate}`, latencies),
      [`openLoop.${rate}.achievedRate`]: achieved,
      [`openLoop.${rate}.submitFailures`]: failures,
    };
  } finally {
    await session.close();
  }
}
