/**
 * Idle latency: jobs submitted one at a time, each after the previous one finished (as Graphile
 * Worker's perf test does), so every job meets idle workers; submit-to-start percentiles.
 */
import type { System } from '../systems/system.js';
import { latencyFigures, startLatencies, warmUp, type Figures } from './common.js';

/** Settings of the idle-latency run. */
export interface IdleLatencySettings {
  jobs: number;
  warmUpJobs: number;
  concurrency: number;
}

/** Runs the jobs one after another on a fresh instance of the system. */
export async function idleLatency(system: System, settings: IdleLatencySettings): Promise<Figures> {
  const session = await system.open(settings.concurrency, { startTimes: true, completions: true });
  try {
    await warmUp(session, settings.warmUpJobs);
    const submitted = new Map<string, number>();
    for (let index = 0; index < settings.jobs; index++) {
      const at = Date.now();
      submitted.set(await session.runOne(), at);
    }
    return latencyFigures('idle', await startLatencies(session, submitted, settings.jobs));
  } finally {
    await session.close();
  }
}
