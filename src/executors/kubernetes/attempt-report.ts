import type { AttemptReport } from '../../domain/execution.js';
import { refusedOutputMessage } from '../../observer/outcome.js';
import type { ObserverReport } from './observer-endpoint.js';
import type { PodEnd } from './pod-status.js';

/** Everything known about an attempt when it is judged. */
export interface AttemptFacts {
  end: PodEnd;
  /** The in-pod observer's report, when it arrived. */
  observer?: ObserverReport;
  /** spec.timeout and spec.resources.memory as written, and the image, for messages. */
  timeout: string;
  memory?: string;
  image?: string;
  resultLimitBytes: number;
  /** The last line the program printed, quoted in a failure's message. */
  lastLine: string;
}

/** Longest error message taken from the error file or the last log line. */
const messageLimit = 4096;

/**
 * Judges how an attempt in a pod ended, with the same rules and messages as the local observer
 * (src/observer/outcome.ts): deadline → timed_out; OOMKilled, image pull errors, eviction and a
 * lost node → failed with that reason; a non-zero exit → failed with the program's own message;
 * exit 0 → its output file as the result.
 */
export function judgeAttempt(facts: AttemptFacts): AttemptReport {
  const { end } = facts;
  switch (end.kind) {
    case 'deadline':
      return failure('timed_out', null, 'DeadlineExceeded', `exceeded its timeout of ${facts.timeout} and was stopped`);
    case 'image':
      return failure('failed', null, 'ImagePullError', `cannot pull image ${facts.image ?? ''}: ${end.message}`.replace('  ', ' '));
    case 'config':
      return failure('failed', null, 'StartFailed', `cannot start the function’s container: ${end.message}`);
    case 'evicted':
      return failure('failed', null, 'Evicted', `the pod was evicted: ${end.message}`);
    case 'node-lost':
      return failure('failed', null, 'NodeLost', `the pod’s node was lost: ${end.message}`);
    case 'vanished':
      return failure('failed', null, 'Error', end.message);
    case 'exited':
      break;
  }
  if (end.oomKilled) {
    return failure('failed', end.exitCode, 'OOMKilled', `memory limit ${facts.memory ?? '(none declared)'} exceeded (OOMKilled)`);
  }
  if (end.exitCode !== 0) {
    const written = facts.observer?.error?.trim();
    const line = facts.lastLine.trim();
    const message = written ? written : line ? `exited with code ${end.exitCode}: ${line}` : `exited with code ${end.exitCode}`;
    return failure('failed', end.exitCode, 'Error', message.slice(0, messageLimit));
  }
  const observer = facts.observer;
  if (!observer) {
    return failure('failed', 0, 'Error', 'the program exited 0 but the observer never reported its output (did the observer sidecar run?)');
  }
  if (observer.outputRefused) return failure('failed', 0, 'Error', refusedOutputMessage(observer.outputRefused));
  if (observer.outputBytes > facts.resultLimitBytes) {
    return failure('failed', 0, 'ResultTooLarge', `the result is ${observer.outputBytes} bytes, more than the limit of ${facts.resultLimitBytes} bytes`);
  }
  if (observer.output === null || observer.output.trim() === '') return { status: 'succeeded', exitCode: 0, reason: null, error: null, result: null };
  try {
    return { status: 'succeeded', exitCode: 0, reason: null, error: null, result: JSON.parse(observer.output) };
  } catch (thrown) {
    return failure('failed', 0, 'Error', `the output is not valid JSON: ${(thrown as Error).message}`);
  }
}

function failure(status: 'failed' | 'timed_out', exitCode: number | null, reason: AttemptReport['reason'], error: string): AttemptReport {
  return { status, exitCode, reason, error, result: null };
}
