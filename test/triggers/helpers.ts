import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPontoon, type StartHooks, type StartOptions } from '../../src/app/start.js';

/** A clock a test moves by hand. */
export class ManualClock {
  private time: number;
  constructor(start: string) {
    this.time = Date.parse(start);
  }
  /** The current time; pass as `clock`. */
  readonly now = (): Date => new Date(this.time);
  /** Sets the time. */
  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

/** A Pontoon for trigger tests: start and restart on one data dir, with hooks, and a JSON client. */
export class TriggerPontoon {
  url = '';
  private running: { url: string; close(): Promise<void> } | undefined;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'pontoon-trig-'));

  constructor(
    private readonly options: StartOptions = {},
    private readonly hooks: StartHooks = {},
  ) {}

  /** Starts (or starts again) on the same data dir. */
  async start(): Promise<this> {
    this.running = await startPontoon({ port: 0, logLevel: 'silent', lease: '3s', grace: '1s', ...this.options, dataDir: this.dataDir }, this.hooks);
    this.url = this.running.url;
    return this;
  }

  /** Stops the server, keeping its data. */
  async stop(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  /** Stops and removes the data. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Sends a request; a string body is sent as is, anything else as JSON. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(this.url + path, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, text };
  }

  /** Deploys a function in the default namespace, failing the test when refused. */
  async deploy(name: string, spec: Record<string, unknown>): Promise<any> {
    const answer = await this.request('PUT', `/v1/namespaces/default/functions/${name}`, { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec });
    if (answer.status >= 300) throw new Error(`deploy ${name} failed: ${answer.status} ${answer.text}`);
    return answer.body;
  }

  /** Executions of a function, oldest first. */
  async executions(fn: string): Promise<any[]> {
    const { body } = await this.request('GET', `/v1/namespaces/default/executions?function=${fn}&limit=1000`);
    return [...body.items].reverse();
  }
}

/** A function spec that exits at once (or after `sleep` seconds). */
export function quickFunction(extra: Record<string, unknown> = {}, sleep = 0): Record<string, unknown> {
  return { runtime: 'command', command: ['/bin/sh', '-c', sleep > 0 ? `sleep ${sleep}` : 'exit 0'], timeout: '30s', ...extra };
}

/** Polls `check` until it returns a value (not undefined), within `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a sink received: one request. */
export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP endpoint on 127.0.0.1 that records requests and answers with `status(n)` for the n-th (from 1). */
export class RecordingSink {
  readonly received: Received[] = [];
  private server: Server | undefined;
  url = '';
  constructor(private readonly status: (n: number) => number = () => 200) {}

  /** Listens on a free port (or `port` when given, to come back on the same URL). */
  async listen(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
        response.statusCode = this.status(this.received.length);
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/hook`;
    return this;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
