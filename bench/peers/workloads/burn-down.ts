/**
 * Burn-down: N no-op jobs inserted in bulk, then drained. The rate is N over the time from the
 * first insert to the moment the system's own records show none left (the completion durably
 * recorded); the warm-up jobs run before and are not counted.
 *
 * The warm-up is a drain as large as the measured one (--warm-up), on the same instance. With 500
 * (the previous default, N/20) every figure was partly a measure of V8's optimizing compiler:
 * Pontoon embedded, warm, concurrency 8, 10,000 measured, alternating runs (session 17): 3,273
 * and 3,330/s after 500 warm-up jobs, 3,883 and 3,930 after 5,000, 4,296 and 4,467 after 10,000;
 * 4,887 and 4,920/s for 20,000 after 30,000. A server runs for days, so the steady state is what
 * its users get; each system is given the same warm-up.
 */
import { performance } from 'node:perf_hooks';
import type { System } from '../systems/system.js';
import { cpuDuring, cpuFigures, drained, warmUp, type Figures } from './common.js';

/** Settings of the burn-down. */
export interface BurnDownSettings {
  jobs: number;
  warmUpJobs: number;
  concurrency: number;
  timeoutMs: number;
}

/** Runs one burn-down on a fresh instance of the system. */
export async function burnDown(system: System, settings: BurnDownSettings): Promise<Figures> {
  const session = await system.open(settings.concurrency, { startTimes: false, completions: false });
  try {
    await warmUp(session, settings.warmUpJobs, settings.timeoutMs);
    const start = performance.now();
    const { cpu, value: inserted } = await cpuDuring(session, async () => {
      await session.insertMany(settings.jobs);
      const insertedAt = performance.now();
      if (!(await drained(session, settings.timeoutMs))) throw new Error(`burn-down of ${settings.jobs} jobs did not finish within ${settings.timeoutMs / 1000} s`);
      return insertedAt;
    });
    const seconds = (performance.now() - start) / 1000;
    return {
      'burnDown.jobsPerSec': settings.jobs / seconds,
      'burnDown.insertJobsPerSec': settings.jobs / ((inserted - start) / 1000),
      ...cpuFigures('burnDownCpu', cpu, settings.jobs),
    };
  } finally {
    await session.close();
  }
}
