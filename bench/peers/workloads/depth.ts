/**
 * Depth: the dispatch rate with many jobs queued. The queue is filled in bulk (within a time
 * budget: the depth reached is reported), then the completions over a fixed window, as the
 * system's own counts show them, give the rate. Workers run throughout, the same for every
 * system (Pontoon has no paused state to fill a queue behind).
 */
import { performance } from 'node:perf_hooks';
import type { System } from '../systems/system.js';
import { sleep, warmUp, type Figures } from './common.js';

/** Settings of the depth runs. */
export interface DepthSettings {
  depths: number[];
  windowSeconds: number;
  insertBudgetSeconds: number;
  warmUpJobs: number;
  concurrency: number;
}

/** Runs every depth, each on a fresh instance of the system. */
export async function depth(system: System, settings: DepthSettings): Promise<Figures> {
  const figures: Figures = {};
  for (const target of settings.depths) Object.assign(figures, await oneDepth(system, target, settings));
  return figures;
}

async function oneDepth(system: System, target: number, settings: DepthSettings): Promise<Figures> {
  const session = await system.open(settings.concurrency, { startTimes: false, completions: false });
  try {
    await warmUp(session, settings.warmUpJobs);
    const insertStart = performance.now();
    const chunk = 20_000;
    for (let done = 0; done < target; done += chunk) {
      if (performance.now() - insertStart > settings.insertBudgetSeconds * 1000) break;
      await session.insertMany(Math.min(chunk, target - done));
    }
    const start = performance.now();
    const atStart = await session.remaining();
    const end = start + settings.windowSeconds * 1000;
    let left = atStart;
    // Far from empty, look once a second: a system's own count of a deep queue is no free read
    // (Pontoon's GET of the function counts 1M queued in ~66 ms on its store's thread, between
    // the claims), and the window's rate needs only its two ends.
    while (left > 0 && performance.now() < end) {
      await sleep(left > 2_000 ? Math.min(1_000, end - performance.now()) : 5);
      left = await session.remaining();
    }
    const seconds = (performance.now() - start) / 1000;
    return { [`depth.${target}.jobsPerSec`]: (atStart - left) / seconds, [`depth.${target}.queuedAtStart`]: atStart };
  } finally {
    await session.close();
  }
}
