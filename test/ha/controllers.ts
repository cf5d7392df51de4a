import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A `pontoon up` child process on a shared PostgreSQL store. */
export interface Controller {
  child: ChildProcess;
  url: string;
  pid: number;
  /** Everything it printed, for a failure message. */
  output(): string;
}

/** How the controllers of a test run. */
export interface ControllerOptions {
  store: string;
  dataDir: string;
  capacity?: number;
  lease?: string;
  logLevel?: string;
  /** More `pontoon up` flags. */
  flags?: string[];
  /** More environment variables for the process. */
  env?: Record<string, string>;
}

/** Starts `pontoon up --store <postgres url>` as a real child process; resolves once it prints its URL. */
export function startController(options: ControllerOptions): Promise<Controller> {
  const args = [cli, 'up', '--port', '0', '--data-dir', options.dataDir, '--store', options.store];
  args.push('--capacity', String(options.capacity ?? 8), '--lease', options.lease ?? '3s', '--grace', '500ms', '--log-level', options.logLevel ?? 'warn', ...(options.flags ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: { ...process.env, ...options.env } } : {}) });
  let output = '';
  const read = (chunk: Buffer) => {
    // Keep the tail only: a long run must not hold every line it printed.
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', read);
  child.stderr!.on('data', read);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pontoon up printed no URL within 30 s: ${output}`)), 30_000);
    const check = () => {
      const match = /Pontoon is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ child, url: match[1], pid: child.pid!, output: () => output });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pontoon up exited with ${code ?? signal}: ${output}`));
    });
  });
}

/** kill -9, and resolves once the process is gone. */
export async function killHard(controller: Controller): Promise<void> {
  if (controller.child.exitCode !== null || controller.child.signalCode !== null) return;
  const exited = new Promise((resolve) => controller.child.once('exit', resolve));
  controller.child.kill('SIGKILL');
  await exited;
}

/** SIGTERM (a clean stop), and kill -9 if it has not exited within 15 s. */
export async function stopController(controller: Controller): Promise<void> {
  if (controller.child.exitCode !== null || controller.child.signalCode !== null) return;
  const exited = new Promise((resolve) => controller.child.once('exit', resolve));
  controller.child.kill('SIGTERM');
  const timer = setTimeout(() => controller.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A JSON request to a controller's API. */
export async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The pid of the controller holding the leader lock of `schema`, from PostgreSQL's own view of its locks. */
export const leaderPidQuery = `
  SELECT substring(a.application_name from 'pontoon leader (\\d+)')::int AS pid
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.classid = 7002 AND l.objid = hashtext($1)::oid AND l.granted`;
