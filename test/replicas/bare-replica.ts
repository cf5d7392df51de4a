import type { FunctionVersion } from '../../src/domain/function-spec.js';
import { Replica, type ReplicaHost, type ReplicaOptions } from '../../src/executors/warm/replica.js';

/** A function version as far as a Replica reads it: its ref and its timeout. */
export function bareFunction(name: string): FunctionVersion {
  return { namespace: 'default', name, version: 1, document: { spec: { timeout: '30s' } } } as unknown as FunctionVersion;
}

/**
 * A Replica endpoint with no process behind it: `launch` stands in for the process (its stop, and
 * whatever it keeps of the options, such as onExit), `host` for the store.
 */
export function bareReplica(fn: FunctionVersion, concurrency: number, host: ReplicaHost, launch: NonNullable<ReplicaOptions['launch']>): Replica {
  return new Replica(
    {
      fn,
      concurrency,
      command: [],
      cwd: '/',
      env: {},
      runtimeApi: '127.0.0.1:1',
      graceMs: 100,
      logLimitBytes: 1 << 20,
      resultLimitBytes: 1 << 20,
      startTimeoutMs: 60_000,
      launch,
    },
    host,
  );
}
