import { readAttemptFile } from '../attempt-file.js';
import { attemptEndpointFromEnv, callController, type AttemptEndpoint } from './controller-client.js';
import { withRetries } from './write-input.js';

/** Longest error text sent; the rest belongs in the logs. */
const errorLimit = 4096;

/** What the sidecar reports once the function's container has ended. */
export interface OutputReport {
  output: string | null;
  outputBytes: number;
  error: string | null;
  /** What stood at $PONTOON_OUTPUT instead of a regular file (`a FIFO`, …); null when nothing did. */
  outputRefused: string | null;
}

/**
 * Reads the program's output and error files, never blocking on them (see readAttemptFile). An
 * output larger than the limit is not read, only measured, so the controller can judge it
 * ResultTooLarge without the bytes travelling. One that is not a regular file is not read at all,
 * and the report says what stood there, so the controller fails an attempt that exited 0.
 */
export function readOutputs(outputFile: string, errorFile: string, resultLimitBytes: number): OutputReport {
  const output = readAttemptFile(outputFile, resultLimitBytes);
  const error = readAttemptFile(errorFile, errorLimit, true);
  return {
    output: output.kind === 'read' ? output.text : null,
    outputBytes: output.kind === 'read' ? Buffer.byteLength(output.text) : output.kind === 'too-large' ? output.bytes : 0,
    error: error.kind === 'read' ? error.text.slice(0, errorLimit) : null,
    outputRefused: output.kind === 'refused' ? output.what : null,
  };
}

/** A running sidecar. */
export interface Sidecar {
  /** The function's container has ended (the kubelet sends TERM): report the outputs, then resolve. */
  report(): Promise<void>;
  stop(): void;
}

/**
 * The native sidecar's job: heartbeat the controller while the function runs and, when the
 * kubelet sends TERM after the function's container ended (or the pod is being stopped), send the
 * output and error files. A 410 answer means the attempt is no longer current: nothing to report.
 */
export function startSidecar(env: NodeJS.ProcessEnv, log: (line: string) => void = () => {}): Sidecar {
  const endpoint: AttemptEndpoint = attemptEndpointFromEnv(env);
  const outputFile = env.PONTOON_OUTPUT ?? '/pontoon/output.json';
  const errorFile = env.PONTOON_ERROR ?? '/pontoon/error.txt';
  const resultLimit = Number(env.PONTOON_RESULT_LIMIT ?? 1024 * 1024);
  const heartbeatMs = Math.max(100, Number(env.PONTOON_HEARTBEAT_MS ?? 5000));
  let stopped = false;
  const beat = async () => {
    try {
      const answer = await callController(endpoint, 'heartbeat', {}, heartbeatMs);
      if (answer.status === 410) log('the controller no longer runs this attempt');
    } catch (thrown) {
      log(`heartbeat failed: ${(thrown as Error).message}`);
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), heartbeatMs);
  return {
    async report() {
      clearInterval(timer);
      if (stopped) return;
      stopped = true;
      const outputs = readOutputs(outputFile, errorFile, resultLimit);
      const answer = await withRetries(() => callController(endpoint, 'report', outputs));
      if (answer.status !== 204 && answer.status !== 410) throw new Error(`the controller refused the report: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
      log(answer.status === 204 ? 'outputs reported' : 'the controller no longer runs this attempt; outputs not reported');
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
