import type { Logger } from 'pino';
import { asError } from '../domain/errors.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import { buildsNamedBy, sweepBuilds } from '../runtimes/build-collection.js';
import type { LaunchPlan, Runtimes } from '../runtimes/runtime.js';
import type { Store } from '../store/store.js';

/** What the build collector reads, and how often it passes. */
export interface BuildCollectorOptions {
  store: Pick<Store, 'listFunctions' | 'listExecutions' | 'getFunction'>;
  runtimes: Pick<Runtimes, 'plan'>;
  /** The runtimes' build dir. */
  cacheDir: string;
  logger: Logger;
  /** A build unnamed by any live version stays this long after it was last made or kept (default an hour). */
  graceMs?: number;
  /** Between passes besides those after deploys (default ten minutes); also how fresh a kept build's time stays. */
  periodMs?: number;
}

// More executions than this waiting or running makes a pass give up rather than page on: it
// would keep what it had not read anyway, so it removes nothing.
const executionsReadAtMost = 10_000;
const pageSize = 500;

/**
 * Removes the builds no live version uses: a build is kept while the latest version of a function,
 * or the version of an execution that waits or runs, names it in its launch plan (warm replicas
 * serve such versions), and for a grace period after that, so an attempt of a function deleted
 * while it ran, or another server sharing the build dir, is not left without its files. A pass
 * that cannot tell what is live (a plan fails, too many executions) removes nothing.
 */
export class BuildCollector {
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  // Passes run one at a time; pass() never throws.
  private passes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly graceMs: number;
  private readonly periodMs: number;

  constructor(private readonly options: BuildCollectorOptions) {
    this.graceMs = options.graceMs ?? 3_600_000;
    this.periodMs = options.periodMs ?? 600_000;
  }

  /**
   * Passes every periodMs, and shortly after deploys (soon). Not at once: a pass plans every live
   * version, and planning builds one whose build is missing (a store shared with another server, a
   * cleared build dir), so a pass at startup would build functions that may never run here.
   */
  start(): void {
    this.timer = setInterval(() => this.soon(0), this.periodMs);
    this.timer.unref();
  }

  /** Asks for a pass shortly (after a deploy: several deploys in a row make one pass). */
  soon(delayMs = 1_000): void {
    if (this.closed || this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.collect();
    }, delayMs);
    this.soonTimer.unref();
  }

  /** One pass, after the one under way if any: the names removed, or undefined when it removed nothing for want of knowing what is live. */
  collect(): Promise<string[] | undefined> {
    const pass = this.passes.then(() => this.pass());
    this.passes = pass;
    return pass;
  }

  /** Stops the passes; one under way finishes. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    await this.passes;
  }

  private async pass(): Promise<string[] | undefined> {
    try {
      const live = await this.liveVersions();
      if (!live) return undefined;
      const plans: LaunchPlan[] = [];
      for (const fn of live) plans.push(await this.options.runtimes.plan(fn));
      const removed = await sweepBuilds(this.options.cacheDir, buildsNamedBy(this.options.cacheDir, plans), { graceMs: this.graceMs });
      if (removed.length > 0) this.options.logger.info({ builds: removed, dir: this.options.cacheDir }, 'removed builds no live version uses');
      return removed;
    } catch (thrown) {
      this.options.logger.warn({ err: asError(thrown), dir: this.options.cacheDir }, 'build cleanup skipped: could not tell which builds are in use');
      return undefined;
    }
  }

  /** The latest versions and those of executions waiting or running; undefined when there are too many to read. */
  private async liveVersions(): Promise<FunctionVersion[] | undefined> {
    const { store } = this.options;
    const latest = await store.listFunctions();
    const versions = new Map<string, FunctionVersion>(latest.map((fn) => [`${fn.namespace}/${fn.name}/${fn.version}`, fn] as const));
    let read = 0;
    for (const namespace of new Set(latest.map((fn) => fn.namespace))) {
      for (const status of ['queued', 'running'] as const) {
        let cursor: string | undefined;
        do {
          const page = await store.listExecutions({ namespace, status, limit: pageSize, ...(cursor ? { cursor } : {}) });
          read += page.items.length;
          if (read > executionsReadAtMost) return undefined;
          for (const execution of page.items) {
            const key = `${execution.namespace}/${execution.function}/${execution.version}`;
            if (versions.has(key)) continue;
            const fn = await store.getFunction(execution.namespace, execution.function, execution.version);
            // A deleted function's running attempt: only the grace period keeps its build.
            if (fn) versions.set(key, fn);
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
    }
    return [...versions.values()];
  }
}
