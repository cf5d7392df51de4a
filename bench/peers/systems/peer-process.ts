/**
 * A peer's workers run in a child process of their own, as they would in production, so that the
 * harness submitting jobs never shares an event loop with them (Pontoon's server is a separate
 * process too). The child reports over IPC: ready, each job's start time when asked, and each
 * completion when the workload waits for one job at a time.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** What the parent asks of a worker child. */
export interface WorkerChildNeeds {
  /** Keep each job's start time (only where a workload reads them: a map of 1M entries is not free). */
  startTimes: boolean;
  /** Report each completion (for one-at-a-time submission). */
  completions: boolean;
}

type FromChild = { type: 'ready' } | { type: 'done'; id: string } | { type: 'starts'; entries: [string, number][] } | { type: 'error'; message: string };

/** The parent's handle on a worker child. */
export class WorkerChild {
  private readonly finished = new Set<string>();
  private readonly waiters = new Map<string, () => void>();
  private startsReply?: (entries: [string, number][]) => void;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromChild) => {
      if (message.type === 'done') {
        const waiter = this.waiters.get(message.id);
        if (waiter) {
          this.waiters.delete(message.id);
          waiter();
        } else this.finished.add(message.id);
      } else if (message.type === 'starts') this.startsReply?.(message.entries);
    });
  }

  /** Forks `script` with its settings in the environment and resolves once its workers are ready. */
  static async start(script: string, env: Record<string, string>, needs: WorkerChildNeeds): Promise<WorkerChild> {
    const child = fork(script, [], {
      env: { ...process.env, ...env, BENCH_RECORD_STARTS: needs.startTimes ? '1' : '', BENCH_NOTIFY_DONE: needs.completions ? '1' : '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: not ready within 60 s`)), 60_000);
      child.on('message', (message: FromChild) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (message.type === 'error') reject(new Error(message.message));
      });
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    });
    return new WorkerChild(child);
  }

  /** The child's process id (its CPU is the peer's worker's). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once the child reported job `id` finished (or already had). */
  finishedJob(id: string, timeoutMs = 30_000): Promise<void> {
    if (this.finished.delete(id)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`job ${id} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The start times the child kept. */
  startTimes(): Promise<Map<string, number>> {
    return new Promise((resolve) => {
      this.startsReply = (entries) => resolve(new Map(entries));
      this.child.send({ type: 'starts' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The child's side: keeps start times, reports completions, answers the parent. */
export function serveParent(stop: () => Promise<void>) {
  const recordStarts = process.env.BENCH_RECORD_STARTS === '1';
  const notifyDone = process.env.BENCH_NOTIFY_DONE === '1';
  const starts = new Map<string, number>();
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'starts') process.send!({ type: 'starts', entries: [...starts] });
    else if (message.type === 'stop') {
      await stop();
      process.exit(0);
    }
  });
  // The parent going away (a failed run) takes the workers with it.
  process.on('disconnect', () => process.exit(1));
  return {
    started(id: string, at: number) {
      if (recordStarts) starts.set(id, at);
    },
    done(id: string) {
      if (notifyDone) process.send!({ type: 'done', id });
    },
    ready() {
      process.send!({ type: 'ready' });
    },
    failed(thrown: unknown) {
      process.send!({ type: 'error', message: String(thrown) });
      process.exit(1);
    },
  };
}
