import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asError } from '../../domain/errors.js';
import type { AttemptRef } from '../../store/store.js';
import type { AttemptTokens } from './attempt-token.js';

/** What an in-pod observer reports once the function's container has ended. */
export interface ObserverReport {
  /** Text of the output file; null when the program wrote none. */
  output: string | null;
  /** Size of the output file in bytes (the text is left out when it exceeds the result limit). */
  outputBytes: number;
  /** Text of the error file (a failing program's message); null when absent. */
  error: string | null;
  /** What stood at $PONTOON_OUTPUT instead of a regular file; absent or null when nothing did. */
  outputRefused?: string | null;
}

/** What the endpoint asks of the executor. */
export interface ObserverEndpointHandlers {
  /** The input of a running attempt; undefined when the attempt is not (or no longer) current here. */
  input(ref: AttemptRef): unknown | undefined;
  /** A heartbeat; false when the attempt is not current here (the observer then stops). */
  heartbeat(ref: AttemptRef): boolean;
  /**
   * The archive of the package `sha256` for this attempt's pod: 'gone' when the attempt is not
   * current here, 'not-this-attempt' when its function's package has another hash, 'not-stored'
   * when the store lost it.
   */
  package(ref: AttemptRef, sha256: string): Promise<Buffer | 'gone' | 'not-this-attempt' | 'not-stored'>;
  /** The observer's final report; false when the attempt is not current here. */
  report(ref: AttemptRef, report: ObserverReport): boolean;
}

/** Largest report body accepted: a result at the limit, JSON-escaped, and the error text. */
const maxBodyBytes = 24 * 1024 * 1024;
const route = /^\/v1\/attempts\/([A-Za-z0-9-]{1,64})\/(\d{1,4})\/(input|heartbeat|report|package\/([0-9a-f]{64}))$/;

/**
 * The HTTP endpoint in-pod observers talk to: they fetch large inputs and the function's package,
 * heartbeat, and report the output and error files. Every call carries the attempt's token. Kept apart from the public API
 * (its own port) so that only pods need to reach it.
 */
export class ObserverEndpoint {
  private readonly server: Server;

  constructor(
    private readonly tokens: AttemptTokens,
    private readonly handlers: ObserverEndpointHandlers,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((thrown) => send(res, 500, { error: asError(thrown).message }));
    });
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens; resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = route.exec(new URL(req.url ?? '/', 'http://observer').pathname);
    if (!match) return send(res, 404, { error: 'not found' });
    const ref: AttemptRef = { executionId: match[1], attempt: Number(match[2]) };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.tokens.verify(ref, token)) return send(res, 401, { error: 'missing or wrong attempt token' });
    const action = match[3];
    if (action === 'input' && req.method === 'GET') {
      const input = this.handlers.input(ref);
      return input === undefined ? send(res, 410, { error: 'the attempt is not running here' }) : send(res, 200, input);
    }
    if (match[4] !== undefined && req.method === 'GET') {
      const found = await this.handlers.package(ref, match[4]);
      if (found === 'gone') return send(res, 410, { error: 'the attempt is not running here' });
      if (found === 'not-this-attempt') return send(res, 403, { error: `the package ${match[4]} is not this attempt's function's` });
      if (found === 'not-stored') return send(res, 404, { error: `the package ${match[4]} is not in the store` });
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': found.length }).end(found);
      return;
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
    if (action === 'heartbeat') return send(res, this.handlers.heartbeat(ref) ? 204 : 410);
    const body = await readJson(req);
    const report = parseReport(body);
    if (!report) return send(res, 400, { error: 'a report is {output: string|null, outputBytes: number, error: string|null}' });
    return send(res, this.handlers.report(ref, report) ? 204 : 410);
  }
}

function parseReport(body: unknown): ObserverReport | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { output, outputBytes, error, outputRefused = null } = body as Record<string, unknown>;
  if (output !== null && typeof output !== 'string') return undefined;
  if (error !== null && typeof error !== 'string') return undefined;
  if (typeof outputBytes !== 'number' || outputBytes < 0) return undefined;
  if (outputRefused !== null && typeof outputRefused !== 'string') return undefined;
  return { output, outputBytes, error, outputRefused };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new Error('report too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
