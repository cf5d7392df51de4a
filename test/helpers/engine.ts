import { pino } from 'pino';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { ExecutionEvents } from '../../src/engine/execution-events.js';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';

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
