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
 * alone cost three claims of its replica, two finding nothing; now one, its enqueue's own
 * (idle-claims test). On PostgreSQL at 200/s that took its CPU from 2.5 to 1.9-2.0 ms per
 * execution and the p50 from 2 to 1 ms (session 16, two alternating pairs).
 *
 * Session 13 (a quiet 2-core machine, SQLite warm, 1,000/s in stretches of 3 s on one server, a
 * second apart): the first stretch's p99 was 67-616 ms over six servers, every later one's 5-11
 * ms; BullMQ's 3.5-4. In the first stretch the replica started 400-1,300 executions a second
 * while 1,000 arrived, then drained the backlog at 2,000/s once arrivals stopped. Three seconds
 * at 500/s first made the first 1,000/s stretch as good as the later ones (p99 7 ms); fixed
 * replica lanes (1 or 2) did not, nor a larger young generation (--max-semi-space-size=32). That
 * fits a path that runs slower until its code has run a few thousand times (V8's optimizing
 * tiers); I did not trace it further. With a 2-s warm-up: p99 7 ms at 1,000/s in one run. The bulk
 * warm-up below does not run that path, so each rate now starts with warmUpSeconds of the same
 * arrivals, for every system alike, drained and not measured: the figures are the steady state.
 *
 * Session 17: two seconds were not enough. At 200/s after them, V8's compiler threads still took
 * 430-550 µs of CPU per execution in Pontoon's server (perf: TurboFan's phases), and the main
 * thread ran code not yet optimized; after 30 s of the same arrivals they took 10 µs, the CPU per
 * execution of the server and its replica fell from 2,760 to 1,730 µs and the p99 from 3 to 1 ms. The few thousand
 * single submits that takes are made faster first (warmUpArrivals at 1,000/s, or at the rate if
 * higher): after 5,000 of them and the 2 s at 200/s, p99 1 and 1 ms against 3 and 4 without
 * (alternating runs).
 */
import { performance } from 'node:perf_hooks';
import type { Session, System } from '../systems/system.js';
import { cpuDuring, cpuFigures, drained, latencyFigures, sleep, startLatencies, warmUp, type Figures } from './common.js';

/** Settings of the open loop. */
export interface OpenLoopSettings {
  rates: number[];
  seconds: number;
  warmUpJobs: number;
  /** Jobs submitted one by one at 1,000/s (or the rate, if higher) before warmUpSeconds, not measured. */
  warmUpArrivals: number;
  /** Seconds of arrivals at the rate before the measured ones, on the same instance, not measured. */
  warmUpSeconds: number;
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
    if (settings.warmUpArrivals > 0) {
      await arrivals(session, Math.max(rate, 1_000), settings.warmUpArrivals);
      await drained(session, settings.drainTimeoutMs);
    }
    // The single-submit path at this rate, before it is measured: a fresh server fell behind in
    // its first second of it, and not later (see the header).
    if (settings.warmUpSeconds > 0) {
      await arrivals(session, rate, Math.round(rate * settings.warmUpSeconds));
      await drained(session, settings.drainTimeoutMs);
    }
    const total = Math.round(rate * settings.seconds);
    const { cpu, value: run } = await cpuDuring(session, async () => {
      const measured = await arrivals(session, rate, total);
      await drained(session, settings.drainTimeoutMs);
      return measured;
    });
    const latencies = await startLatencies(session, run.submitted, settings.sampleLimit);
    return {
      ...latencyFigures(`openLoop.${rate}`, latencies),
      [`openLoop.${rate}.achievedRate`]: run.achieved,
      [`openLoop.${rate}.submitFailures`]: run.failures,
      ...cpuFigures(`openLoopCpu.${rate}`, cpu, total),
    };
  } finally {
    await session.close();
  }
}

/** What one stretch of arrivals submitted (id → submit time), how many submits failed, and the rate it reached. */
interface Arrivals {
  submitted: Map<string, number>;
  failures: number;
  achieved: number;
}

/** Submits `total` jobs one by one at `rate` a second; resolves once every submit is answered. */
async function arrivals(session: Session, rate: number, total: number): Promise<Arrivals> {
  const submitted = new Map<string, number>();
  let failures = 0;
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
  return { submitted, failures, achieved: total / ((lastSubmit - begin) / 1000) };
}
