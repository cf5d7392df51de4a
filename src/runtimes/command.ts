import { PontoonError } from '../domain/errors.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { LaunchPlan, Runtimes } from './runtime.js';

/** The launch plan of a `runtime: command` function: its command as written, run in its source dir. */
export function commandPlan(fn: FunctionVersion): LaunchPlan {
  const spec = fn.document.spec;
  if (!spec.command || spec.command.length === 0) {
    // Validation allows image-only command functions: they can run on Kubernetes only.
    throw new PontoonError('BUILD_FAILED', `function ${fn.namespace}/${fn.name} has no spec.command; an image-only function runs on the kubernetes executor only`);
  }
  return { command: [...spec.command], cwd: spec.source, env: {} };
}

/** `runtime: command`: nothing to build, the command is started as is. */
export const commandRuntime: Runtimes = {
  prepare: async () => undefined,
  plan: async (fn) => commandPlan(fn),
};
