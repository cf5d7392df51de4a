import { EventEmitter } from 'node:events';
import type { ExecutionStatus } from '../domain/execution.js';

/** What a watcher of an execution hears: its new status, or that it has new log lines. */
export type ExecutionChange = ExecutionStatus | 'logs';

/**
 * In-process notifications of execution changes and new log lines. They only wake waiters early:
 * every waiter also re-reads the store on a timer, so a change made by another controller is seen
 * too (level-triggered, never dependent on an event arriving).
 */
export class ExecutionEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every waiting HTTP request (invoke?wait, log follow) adds a listener.
    this.emitter.setMaxListeners(0);
  }

  /** Tells waiters that an execution changed status. */
  changed(executionId: string, status: ExecutionStatus): void {
    this.emitter.emit(executionId, status);
  }

  /** Tells followers that an execution has new log lines. */
  logged(executionId: string): void {
    this.emitter.emit(executionId, 'logs');
  }

  /** Calls `listener` on every change or log of this execution until the returned function is called. */
  watch(executionId: string, listener: (change: ExecutionChange) => void): () => void {
    this.emitter.on(executionId, listener);
    return () => this.emitter.off(executionId, listener);
  }

  /** Resolves on the next change or log of this execution, or after `timeoutMs`, whichever first. */
  next(executionId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // A plain timer, cleared on the event: AbortSignal.timeout's timer runs out (and builds a
    // DOMException) even after the event came, which was a few % of a sync invoke's CPU.
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unwatch();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const unwatch = this.watch(executionId, done);
      if (signal?.aborted) done();
      else signal?.addEventListener('abort', done, { once: true });
    });
  }
}
