import { PontoonError } from '../domain/errors.js';
import type { FunctionVersion, Runtime } from '../domain/function-spec.js';
import { commandRuntime } from './command.js';
import type { Runtimes } from './runtime.js';

/**
 * What every runtime is made with. Each runtime file exports a factory taking this shape (typed
 * structurally there, so that no runtime imports the registry back).
 */
export interface RuntimeOptions {
  /** Where compiled runtimes keep their builds. */
  cacheDir: string;
}

/** A runtime that cannot run functions here yet. */
function unavailable(runtime: Runtime): Runtimes {
  const fail = async (): Promise<never> => {
    throw new PontoonError('BUILD_FAILED', `runtime ${runtime} is not available yet`);
  };
  return { prepare: fail, plan: fail };
}

// One entry per runtime, each itself a Runtimes for its own functions: adding a runtime means
// adding its file and its line here.
const handlers: Record<Runtime, (options: RuntimeOptions) => Runtimes> = {
  command: () => commandRuntime,
  node: () => unavailable('node'),
  python: () => unavailable('python'),
  java: () => unavailable('java'),
  go: () => unavailable('go'),
};

/** The Runtimes port over every runtime Pontoon knows, dispatching on `spec.runtime`. */
export function createRuntimes(options: RuntimeOptions): Runtimes {
  const made = new Map<Runtime, Runtimes>();
  const handlerOf = (fn: FunctionVersion): Runtimes => {
    const runtime = fn.document.spec.runtime;
    let handler = made.get(runtime);
    if (!handler) {
      const make = handlers[runtime];
      if (!make) throw new PontoonError('BUILD_FAILED', `unknown runtime ${runtime}`);
      handler = make(options);
      made.set(runtime, handler);
    }
    return handler;
  };
  return {
    prepare: async (fn) => handlerOf(fn).prepare(fn),
    plan: async (fn) => handlerOf(fn).plan(fn),
  };
}
