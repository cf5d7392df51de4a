/** Pieces the workloads share: waiting for a drain, percentiles, sampling. */
import type { CpuByPart, Session } from '../systems/system.js';

/** Figures one workload measured in one round for one system, by name. */
export type Figures = Record<string, number>;

/** Sleeps. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the session has no job left (as the system recorded it); false on timeout. Each
 * look costs the system a count, so it looks rarely while much is left and closely near the end.
 */
export async function drained(session: Session, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await session.remaining();
    if (left === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(left > 2_000 ? 250 : left > 50 ? 50 : 5);
  }
}

/** Inserts `count` jobs and waits for them to finish: JIT, pools and caches warmed, not measured. */
export async function warmUp(session: Session, count: number, timeoutMs = 120_000): Promise<void> {
  if (count <= 0) return;
  await session.insertMany(count);
  if (!(await drained(session, timeoutMs))) throw new Error(`warm-up of ${count} jobs did not finish within ${timeoutMs / 1000} s`);
}

/** The p-th percentile (nearest rank) of sorted numbers; Infinity sorts last and is kept. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** At most `limit` items, evenly spaced: percentiles of a uniform sample stay unbiased. */
export function evenSample<T>(items: T[], limit: number): T[] {
  if (items.length <= limit) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, index) => items[Math.floor(index * step)]);
}

/**
 * Submit-to-start latencies (ms) of the submitted jobs, from the system's own start records. A
 * job that never started counts as Infinity, so an unsustained rate shows in the tail rather
 * than vanishing from it.
 */
export async function startLatencies(session: Session, submitted: Map<string, number>, sampleLimit: number): Promise<number[]> {
  const ids = evenSample([...submitted.keys()], sampleLimit);
  const starts = await session.startTimes(ids);
  return ids.map((id) => {
    const start = starts.get(id);
    return start === undefined ? Infinity : start - submitted.get(id)!;
  }).sort((a, b) => a - b);
}

/** p50/p95/p99 and the share never started, under a prefix. */
export function latencyFigures(prefix: string, sorted: number[]): Figures {
  const unstarted = sorted.filter((value) => value === Infinity).length;
  return {
    [`${prefix}.p50Ms`]: percentile(sorted, 50),
    [`${prefix}.p95Ms`]: percentile(sorted, 95),
    [`${prefix}.p99Ms`]: percentile(sorted, 99),
    [`${prefix}.unstartedPct`]: (100 * unstarted) / sorted.length,
  };
}

/** What the system's processes and this harness (its submits and polls: the client) use of the CPU while `work` runs, and what `work` resolved to. */
export async function cpuDuring<T>(session: Session, work: () => Promise<T>): Promise<{ cpu: CpuByPart & { client: number }; value: T }> {
  const before = session.cpuMs();
  const clientBefore = process.cpuUsage();
  const value = await work();
  const client = process.cpuUsage(clientBefore);
  const after = session.cpuMs();
  const cpu = {
    server: after.server - before.server,
    functions: after.functions - before.functions,
    store: after.store - before.store,
    client: (client.user + client.system) / 1000,
  };
  return { cpu, value };
}

/** CPU per job in µs, by part, under a prefix: where a system spends what a job costs. */
export function cpuFigures(prefix: string, cpuMs: CpuByPart & { client: number }, jobs: number): Figures {
  const perJob = (ms: number) => (ms * 1000) / jobs;
  return {
    [`${prefix}.serverUs`]: perJob(cpuMs.server),
    [`${prefix}.functionsUs`]: perJob(cpuMs.functions),
    [`${prefix}.storeUs`]: perJob(cpuMs.store),
    [`${prefix}.totalUs`]: perJob(cpuMs.server + cpuMs.functions + cpuMs.store),
    [`${prefix}.clientUs`]: perJob(cpuMs.client),
  };
}
