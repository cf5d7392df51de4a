import { randomUUID } from 'node:crypto';
import type { AttemptReport } from '../../src/domain/execution.js';
import type { FunctionSpec, FunctionVersion } from '../../src/domain/function-spec.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';
import type { AttemptSink } from '../../src/executors/executor.js';
import type { AttemptRef, ClaimedAttempt, LogLine } from '../../src/store/store.js';

/** A validated function version (schema defaults applied) with the given spec fields. */
export function functionVersion(spec: Partial<FunctionSpec> & Record<string, unknown>, name = 'fixture', version = 1): FunctionVersion {
  const document = validateFunctionDocument({
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name, namespace: 'test' },
    spec: { runtime: 'command', ...spec },
  });
  return { namespace: document.metadata.namespace, name, version, document, createdAt: new Date().toISOString() };
}

/** A function running `script` with /bin/sh. */
export function shellFunction(script: string, spec: Partial<FunctionSpec> = {}): FunctionVersion {
  return functionVersion({ command: ['/bin/sh', '-c', script], ...spec });
}

/** A function running `script` with node. */
export function nodeFunction(script: string, spec: Partial<FunctionSpec> = {}): FunctionVersion {
  return functionVersion({ command: [process.execPath, '-e', script], ...spec });
}

/** An attempt as the store hands it to an executor after a claim. */
export function claimedAttempt(fn: FunctionVersion, input: unknown = null, attempt = 1): ClaimedAttempt {
  const now = new Date().toISOString();
  return {
    execution: {
      id: randomUUID(),
      namespace: fn.namespace,
      function: fn.name,
      version: fn.version,
      status: 'running',
      priority: fn.document.spec.priority,
      input,
      result: null,
      error: null,
      idempotencyKey: null,
      callbackUrl: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      notBefore: null,
      concurrencyKey: null,
      attempts: [],
    },
    attempt,
    function: fn,
    leaseExpiresAt: new Date(Date.now() + 30_000).toISOString(),
  };
}

/** The ref of a claimed attempt. */
export function refOf(claimed: ClaimedAttempt): AttemptRef {
  return { executionId: claimed.execution.id, attempt: claimed.attempt };
}

function keyOf(ref: AttemptRef): string {
  return `${ref.executionId}/${ref.attempt}`;
}

/** Waits until `check` returns a value other than undefined, polling; throws after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An AttemptSink that records everything, as the engine would store it. */
export class RecordingSink implements AttemptSink {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly reports = new Map<string, AttemptReport[]>();
  /** Every batch size delivered, to check batching. */
  readonly batchSizes: number[] = [];

  logs(ref: AttemptRef, lines: LogLine[]): void {
    this.batchSizes.push(lines.length);
    const kept = this.lines.get(keyOf(ref)) ?? [];
    kept.push(...lines);
    this.lines.set(keyOf(ref), kept);
  }

  finished(ref: AttemptRef, report: AttemptReport): void {
    const kept = this.reports.get(keyOf(ref)) ?? [];
    kept.push(report);
    this.reports.set(keyOf(ref), kept);
  }

  /** Lines received so far for an attempt. */
  linesOf(ref: AttemptRef): LogLine[] {
    return this.lines.get(keyOf(ref)) ?? [];
  }

  /** Reports received so far for an attempt (more than one would break the port's contract). */
  reportsOf(ref: AttemptRef): AttemptReport[] {
    return this.reports.get(keyOf(ref)) ?? [];
  }

  /** The attempt's report, once it arrives. */
  report(ref: AttemptRef, timeoutMs = 20_000): Promise<AttemptReport> {
    return eventually(`the report of ${keyOf(ref)}`, () => this.reportsOf(ref)[0], timeoutMs);
  }

  /** The first line of an attempt matching `predicate`, once it arrives. */
  line(ref: AttemptRef, predicate: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(`a log line of ${keyOf(ref)}`, () => this.linesOf(ref).find(predicate), timeoutMs);
  }
}
