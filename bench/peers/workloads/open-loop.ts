/**
 * Open loop: jobs submitted one by one at a fixed arrival rate, whether or not earlier ones have
 * started (as Hatchet's load test does); submit-to-start percentiles per rate. The submit time is
 * taken in the harness just before the submit call; the start comes from the system's records.
 *
 * Both are Date.now() on this machine, and every system's start is its claim (BullMQ's
 * processedOn, Pontoon's first attempt startedAt), so the comparison is like for like; Pontoon's
 * submit also pays its HTTP API, as a user's would. What limits Pontoon here (session 8, SQLite
 * warm, concurrency 8, a 2-core machine under a load of 3-17, server CPU from /proc, store steps
 * from /metrics): the server is saturated well below 1,000/s. It spends 1.1-1.4 ms of CPU per
 * execution at 1,000/s and 1.9 ms at 200/s (fewer share each transaction), so the invokes
 * themselves queue: submit-to-stored p50 1.5-2.9 s at 1,000/s, about half of submit-to-start.
 * A replica settles in batches of 4 (0.25 settle-and-claim steps per execution, 3-5 ms each),
 * enqueues group 5-25 per transaction; WAL checkpoint fsyncs (12 in 3 s, at most 19 ms) and the
 * harness's polling are not what delays starts. Below saturation each execution that arrived
 * alone cost three claims of its replica, two finding nothing; now two (idle-claims test).
 */
import { performance } from 'node:perf_hooks';
import type { System } from '../systems/system.js';
import { cpuDuring, cpuFigures, drained, latencyFigures, sleep, startLatencies, warmUp, type Figures } from './common.js';

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
    let failures = 0;
    let achieved = 0;
    const cpu = await cpuDuring(session, async () => {
      const pending: Promise<void>[] = [];
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
      achieved = total / ((lastSubmit - begin) / 1000);
      await drained(session, settings.drainTimeoutMs);
    });
    const latencies = await startLatencies(session, submitted, settings.sampleLimit);
    return {
      ...latencyFigures(`openLoop.${rate}`, latencies),
      [`openLoop.${rate}.achievedRate`]: achieved,
      [`openLoop.${rate}.submitFailures`]: failures,
      ...cpuFigures(`openLoopCpu.${rate}`, cpu, total),
    };
  } finally {
    await session.close();
  }
}
