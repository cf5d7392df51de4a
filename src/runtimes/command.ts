import { statSync } from 'node:fs';
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

/**
 * Refuses a `spec.source` that is not a directory on the server: the command runs in it, so every
 * attempt would fail to start. Said at deploy, where the mistake is, rather than at each invoke.
 */
function requireSourceDirectory(fn: FunctionVersion): void {
  const source = fn.document.spec.source;
  if (source === undefined || statSync(source, { throwIfNoEntry: false })?.isDirectory()) return;
  const message = `is not a directory on the server: ${source}`;
  throw new PontoonError('INVALID_SPEC', `invalid function spec: spec.source ${message}`, { problems: [{ field: 'spec.source', message }] });
}

/** `runtime: command`: nothing to build, the command is started as is (in its source directory). */
export const commandRuntime: Runtimes = {
  prepare: async (fn) => requireSourceDirectory(fn),
  plan: async (fn) => commandPlan(fn),
};
