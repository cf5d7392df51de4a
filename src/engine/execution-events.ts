import { EventEmitter, once } from 'node:events';
import type { ExecutionStatus } from '../domain/execution.js';

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

  /** Resolves on the next change or log of this execution, or after `timeoutMs`, whichever first. */
  async next(executionId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(Math.max(0, timeoutMs));
    const both = signal ? AbortSignal.any([timeout, signal]) : timeout;
    try {
      await once(this.emitter, executionId, { signal: both });
    } catch {
      // Timed out or aborted: the caller re-reads the store either way.
    }
  }
}
