#!/usr/bin/env node
/**
 * The entry point of the Pontoon runtime images (deploy/docker/runtime-<language>.Dockerfile):
 * builds the package the init container unpacked (PONTOON_PACKAGE_DIR) with the same recipes the
 * controller uses (src/runtimes), then runs it as the function contract says, its exit code the
 * container's. The controller built the same content at deploy, so a package that reaches a pod
 * builds; it is built again here because a build is tied to the machine that made it (a
 * virtual environment's interpreter path, a JVM's class-data archive, a compiler's target).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { asError } from '../domain/errors.js';
import type { FunctionVersion, Runtime } from '../domain/function-spec.js';
import { createRuntimes } from './registry.js';

const runtimes: readonly Runtime[] = ['node', 'python', 'java', 'go'];

/** The function as the runtimes see it, from the container's environment. */
function functionFromEnv(env: NodeJS.ProcessEnv): FunctionVersion {
  const runtime = env.PONTOON_RUNTIME as Runtime | undefined;
  const source = env.PONTOON_PACKAGE_DIR;
  if (!runtime || !runtimes.includes(runtime)) throw new Error(`PONTOON_RUNTIME must be one of ${runtimes.join(', ')}, not ${runtime ?? 'unset'}`);
  if (!source) throw new Error('PONTOON_PACKAGE_DIR is not set');
  const name = env.PONTOON_FUNCTION ?? 'function';
  return {
    namespace: env.PONTOON_NAMESPACE ?? 'default',
    name,
    version: Number(env.PONTOON_VERSION ?? 1),
    createdAt: new Date().toISOString(),
    document: {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name, namespace: env.PONTOON_NAMESPACE ?? 'default' },
      spec: { runtime, source, ...(env.PONTOON_HANDLER ? { handler: env.PONTOON_HANDLER } : {}), timeout: '1h', retry: { limit: 0, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: [], nonRetryableExitCodes: [] }, parallelism: 1, priority: 0 },
    },
  };
}

async function main(): Promise<number> {
  const fn = functionFromEnv(process.env);
  const plan = await createRuntimes({ cacheDir: process.env.PONTOON_BUILD_DIR ?? '/tmp/pontoon-builds' }).plan(fn);
  const [program, ...args] = plan.command;
  const child = spawn(program, args, { cwd: plan.cwd, env: { ...process.env, ...plan.env }, stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
}

main().then(
  (code) => process.exit(code),
  (thrown: unknown) => {
    const message = `cannot start the function: ${asError(thrown).message}`;
    process.stderr.write(`[pontoon-launch] ${message}\n`);
    // The attempt fails with why, as a program's own fail(message) would.
    if (process.env.PONTOON_ERROR) {
      try {
        writeFileSync(process.env.PONTOON_ERROR, message);
      } catch {
        // the volume is gone: the log line above still tells
      }
    }
    process.exit(1);
  },
);
