import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPontoon, type StartOptions } from '../../src/app/start.js';

/** The repository (dist/test/helpers → the root), whose examples tests deploy by path. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A Pontoon started in this process on a fresh data directory, and a tiny JSON client for it. */
export interface TestPontoon {
  url: string;
  dataDir: string;
  /** Sends a request; `body` is sent as JSON unless it is a string. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Deploys a function document (name and spec), returning the answer. */
  deploy(name: string, spec: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** Polls an execution until `done` says so (bounded by `timeoutMs`). */
  waitFor(id: string, done: (execution: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

/** Starts Pontoon for a test; `close()` stops it and removes its data. `token` goes with every request unless one sets its own authorization. */
export async function startTestPontoon(options: StartOptions = {}, token?: string): Promise<TestPontoon> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pontoon-test-'));
  // Functions run as the server's user unless a test asks otherwise: most tests hand their
  // functions files in their own temp dirs (0700), which dynamic users could not open. The
  // suites under test/security run as root's default, dynamic users.
  // Tests deploy scripts they write to the temp dir, and the repository's examples, by path: both
  // are source roots unless a test names its own (the server's default is none).
  const sourceRoots = options.sourceRoots ?? [tmpdir(), repoRoot];
  const running = await startPontoon({ port: 0, logLevel: 'silent', lease: '3s', grace: '1s', runAs: 'server', ...options, sourceRoots, dataDir });
  const request: TestPontoon['request'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(running.url + path, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    url: running.url,
    dataDir,
    request,
    deploy: (name, spec) =>
      request('PUT', `/v1/namespaces/default/functions/${name}`, { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec }),
    async waitFor(id, done, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await request('GET', `/v1/namespaces/default/executions/${id}`);
        if (done(body)) return body;
        if (Date.now() > until) throw new Error(`execution ${id} did not reach the expected state: ${JSON.stringify(body)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await running.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes an executable shell script into a fresh temp dir and returns its path. The dir is opened
 * to others (mkdtemp makes it 0700), since functions run as other users when the tests run as root.
 */
export function writeScript(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-fn-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'fn.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** True once an execution has ended. */
export const isDone = (execution: { status: string }) => ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(execution.status);
