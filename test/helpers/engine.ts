import { pino } from 'pino';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { ExecutionEvents } from '../../src/engine/execution-events.js';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import type { FunctionUsers } from '../../src/executors/users/function-users.js';
import { WarmExecutor } from '../../src/executors/warm/warm-executor.js';

/**
 * An engine over `store` with a local executor of its own (one observer host, work dirs under
 * `workRoot`), silent, leasing for a minute. `options` overrides the rest of the engine's options.
 */
export function localEngine(options: Pick<EngineOptions, 'store' | 'runtimes'> & { workRoot: string } & Partial<EngineOptions>): Engine {
  const { workRoot, ...engineOptions } = options;
  let engine!: Engine;
  const executor = new LocalExecutor({
    sink: { logs: (ref, lines) => engine.logs(ref, lines), finished: (ref, report) => engine.finished(ref, report) },
    runtimes: options.runtimes,
    workRoot,
    graceMs: 1000,
    logLimitBytes: 1 << 20,
    resultLimitBytes: 1 << 20,
    hosts: 1,
  });
  engine = new Engine({ executor, events: new ExecutionEvents(), logger: pino({ level: 'silent' }), owner: 'test', capacity: 2, leaseMs: 60_000, pollMs: 50, ...engineOptions });
  return engine;
}

/**
 * An engine whose executor runs warm functions on replica pools (over a local executor for the
 * rest), the Scalar looking every 100 ms and scaling down after 500 ms of stabilization.
 */
export function warmEngine(
  options: Pick<EngineOptions, 'store' | 'runtimes'> & { workRoot: string; graceMs?: number; users?: FunctionUsers; replicaLanes?: number } & Partial<EngineOptions>,
): Engine {
  const { workRoot, graceMs = 1000, users, replicaLanes, ...engineOptions } = options;
  let engine!: Engine;
  const logger = pino({ level: process.env.PONTOON_TEST_LOG ?? 'silent' });
  const cold = new LocalExecutor({
    sink: { logs: (ref, lines) => engine.logs(ref, lines), finished: (ref, report) => engine.finished(ref, report) },
    runtimes: options.runtimes,
    workRoot,
    graceMs,
    logLimitBytes: 1 << 20,
    resultLimitBytes: 1 << 20,
    hosts: 1,
    users,
  });
  const executor = new WarmExecutor({ cold, runtimes: options.runtimes, logger, graceMs, logLimitBytes: 1 << 20, resultLimitBytes: 1 << 20, users, replicaLanes });
  engine = new Engine({
    executor,
    events: new ExecutionEvents(),
    logger,
    owner: 'test',
    capacity: 16,
    leaseMs: 60_000,
    pollMs: 50,
    scalar: { intervalMs: 100, stabilizationMs: 500 },
    ...engineOptions,
  });
  return engine;
}
