import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPontoon, type StartOptions } from '../../src/app/start.js';
import { eventually } from './control-plane.js';

/** A Pontoon controller for a test, and a tiny JSON client of its API. */
export interface TestController {
  url: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Invokes a function of `namespace`; answers the execution id. */
  invoke(namespace: string, name: string, input: unknown): Promise<string>;
  /** Reads an execution until `done` holds. */
  waitFor(id: string, namespace: string, done: (execution: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

function client(url: string): Omit<TestController, 'close' | 'url'> {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(url + path, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed as any };
  };
  return {
    request,
    async invoke(namespace, name, input) {
      const answer = await request('POST', `/v1/namespaces/${namespace}/functions/${name}/invoke`, input);
      if (answer.status !== 202 && answer.status !== 200) throw new Error(`invoke answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body.id as string;
    },
    async waitFor(id, namespace, done, timeoutMs = 60_000) {
      let last: any;
      try {
        return await eventually(
          `execution ${id}`,
          async () => {
            last = (await request('GET', `/v1/namespaces/${namespace}/executions/${id}`)).body;
            return done(last) ? last : undefined;
          },
          timeoutMs,
        );
      } catch (thrown) {
        throw new Error(`${(thrown as Error).message}; last seen: ${JSON.stringify(last)}`);
      }
    },
  };
}

/** Start options of a controller on the test cluster. */
export function clusterOptions(kubeconfig: string, dataDir: string, more: Partial<StartOptions> = {}): StartOptions {
  return {
    port: 0,
    logLevel: 'silent',
    lease: '3s',
    grace: '1s',
    dataDir,
    executor: 'kubernetes',
    ...more,
    kubernetes: { kubeconfig, observerPort: 0, controllerId: 'test-controller', resyncMs: 1000, ttlSecondsAfterFinished: 600, ...more.kubernetes },
  };
}

/** Starts a controller in this process. */
export async function startController(options: StartOptions): Promise<TestController> {
  const running = await startPontoon(options);
  return { url: running.url, ...client(running.url), close: () => running.close() };
}

/** A controller in a child process, which a test may kill -9. */
export interface ControllerProcess extends TestController {
  child: ChildProcess;
  kill(): Promise<void>;
}

const processMain = resolve(fileURLToPath(import.meta.url), '../controller-process.js');

/** Starts a controller in a child process and waits until it serves. */
export async function startControllerProcess(options: StartOptions): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [processMain, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const match = /url (\S+)/.exec(out);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the controller exited (${code}): ${stderr}`)));
  });
  return {
    url,
    child,
    ...client(url),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A fresh data directory; removed by `removeDir`. */
export function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'pontoon-k8s-data-'));
}

/** Removes a directory made by dataDir or podVolume. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
