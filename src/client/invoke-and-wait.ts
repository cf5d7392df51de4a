import type { Execution } from '../domain/execution.js';
import type { PontoonClient } from './client.js';
import { finalExecutionStatuses, type InvokeResult } from './types.js';

/** Options of an invocation that waits for its execution to end. */
export interface InvokeAndWaitOptions {
  /** Give up waiting after this long; without it, wait until the execution ends. */
  timeoutMs?: number;
  priority?: number;
  /** A key of the caller's; without it one is generated so the wait can re-attach to the same execution. */
  idempotencyKey?: string;
  /** Longest single server-side wait (default 60 s, what the server grants for `wait=true`). */
  chunkMs?: number;
  /** Pause between re-asks when the server answered without waiting (default 1000 ms). */
  pollMs?: number;
}

/** How a waited-for invocation came out. */
export interface InvokeAndWaitResult extends InvokeResult {
  /** True when the execution ended (any terminal status) before the timeout. */
  ended: boolean;
}

/**
 * Invokes a function and waits for the execution to end using the server-side `wait`, asking
 * again in chunks when a wait runs out before the caller's own timeout. The re-asks repeat the
 * invocation with the same idempotency key, which answers the same execution rather than a new one.
 */
export async function invokeAndWait(client: PontoonClient, name: string, input: unknown, options: InvokeAndWaitOptions = {}): Promise<InvokeAndWaitResult> {
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  const chunkMs = options.chunkMs ?? 60_000;
  const pollMs = options.pollMs ?? 1000;
  const idempotencyKey = options.idempotencyKey ?? globalThis.crypto.randomUUID();
  let first = true;
  let replay = false;
  for (;;) {
    const waitMs = Math.max(1, Math.min(chunkMs, deadline - Date.now()));
    const started = Date.now();
    const answer = await client.invoke(name, input, { wait: `${Math.ceil(waitMs)}ms`, priority: options.priority, idempotencyKey });
    // Only the first answer says whether the caller's key matched an older execution.
    if (first) replay = answer.replay;
    first = false;
    const ended = isFinal(answer.execution);
    if (ended || Date.now() >= deadline) return { ...answer, replay, ended };
    // A server that answered early without saying the wait expired did not wait: poll gently.
    if (!answer.waitExpired && Date.now() - started < waitMs) await sleep(Math.min(pollMs, deadline - Date.now()));
    if (Date.now() >= deadline) return { ...(await refresh(client, answer)), replay };
  }
}

async function refresh(client: PontoonClient, answer: InvokeResult): Promise<InvokeResult & { ended: boolean }> {
  const execution = await client.getExecution(answer.execution.id);
  return { ...answer, execution, ended: isFinal(execution) };
}

function isFinal(execution: Execution): boolean {
  return finalExecutionStatuses.includes(execution.status);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
