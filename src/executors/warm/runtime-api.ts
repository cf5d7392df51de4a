import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import { asError } from '../../domain/errors.js';
import { hangUpSignal } from '../../lib/hang-up.js';
import type { StopSignal } from '../../lib/wake-timeout.js';
import {
  batchLimit,
  bodyLimitBytes,
  defaultWaitMs,
  initErrorBodySchema,
  maxWaitMs,
  replicaProtocolVersion,
  resultsBodySchema,
  type Invocation,
  type InvocationResult,
  type ResultsAnswer,
} from './protocol.js';

/** What the runtime API asks of the replica a token belongs to. */
export interface ReplicaEndpoint {
  /** Up to `max` invocations, waiting at most `waitMs` for one; 'draining' once the replica gets no more. */
  next(max: number, waitMs: number, gone: StopSignal): Promise<Invocation[] | 'draining'>;
  /**
   * Settles posted outcomes; resolves once they are durable. With `next`, also hands out up to
   * `next.max` invocations (as `next` would), taken in the same store step where it can.
   */
  results(results: InvocationResult[], next?: { max: number; waitMs: number; gone: StopSignal }, bodyBytes?: number): Promise<ResultsAnswer & { invocations?: Invocation[] | 'draining' }>;
  /** The replica reports why it cannot start. */
  initError(message: string): void;
  /**
   * The archive of the uploaded package `sha256`, for a Kubernetes pool's init container:
   * 'not-this-pool' when the replica's function has another package. Absent where replicas run
   * from the controller's own disk (local pools).
   */
  package?(sha256: string): Promise<Buffer | 'not-this-pool' | 'not-stored'>;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const checkResults = ajv.compile(resultsBodySchema);
const checkInitError = ajv.compile(initErrorBodySchema);

/** An error answer of the protocol. */
class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The runtime API of docs/warm-replicas.md: one loopback HTTP server for every replica of this
 * controller, each replica known by its secret token. Hand-routed on node:http rather than on the
 * API's fastify instance: three routes, and the hot path of every warm execution (a fastify
 * request costs several times a bare one, most of it in hooks the protocol does not use).
 */
export class RuntimeApi {
  private readonly endpoints = new Map<string, ReplicaEndpoint>();
  private readonly server: Server;
  private address = '';

  constructor(private readonly onError: (error: Error) => void) {
    this.server = createServer({ noDelay: true }, (request, response) => void this.handle(request, response));
    this.server.keepAliveTimeout = 65_000;
  }

  /**
   * Starts listening (default 127.0.0.1 on a free port; pods need an address they reach); resolves
   * to `host:port` of the binding.
   */
  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    if (this.address) return this.address;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.address = `${host}:${(this.server.address() as AddressInfo).port}`;
    return this.address;
  }

  /** Lets the replica holding `token` in. */
  register(token: string, endpoint: ReplicaEndpoint): void {
    this.endpoints.set(token, endpoint);
  }

  /** Shuts a replica out: its token is refused from now on. */
  unregister(token: string): void {
    this.endpoints.delete(token);
  }

  /** Stops the server, closing every connection. */
  async close(): Promise<void> {
    this.endpoints.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const endpoint = this.authenticate(request);
      // The path and query split by hand: a WHATWG URL per request is several objects on the hot path.
      const target = request.url ?? '/';
      const mark = target.indexOf('?');
      const path = mark === -1 ? target : target.slice(0, mark);
      const query = mark === -1 ? '' : target.slice(mark + 1);
      const route = routes[path];
      if (!route) {
        const packageRoute = /^\/v1\/package\/([0-9a-f]{64})$/.exec(path);
        if (packageRoute && request.method === 'GET') return await this.sendPackage(endpoint, packageRoute[1], response);
        throw new ProtocolError(404, 'NOT_FOUND', `no such path ${path}: see docs/warm-replicas.md`);
      }
      if (request.method !== route) throw new ProtocolError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${route}, not ${request.method}`);
      if (path === '/v1/invocations/results') await this.results(endpoint, parseQuery(query), request, response);
      else if (path === '/v1/invocations/next') await this.next(endpoint, parseQuery(query), request, response);
      else {
        const body = parseJson(await readBody(request));
        if (!checkInitError(body)) throw invalid(checkInitError.errors);
        endpoint.initError(String((body as { error: string }).error));
        send(response, 202, {});
      }
    } catch (thrown) {
      const error = thrown instanceof ProtocolError ? thrown : new ProtocolError(500, 'INTERNAL', 'internal error: see the server log');
      if (!(thrown instanceof ProtocolError)) this.onError(asError(thrown));
      if (!response.headersSent) send(response, error.status, { error: { code: error.code, message: error.message, details: {} } });
      else response.destroy();
    }
  }

  /** A pool pod's init container fetching its function's package (see ReplicaEndpoint.package). */
  private async sendPackage(endpoint: ReplicaEndpoint, sha256: string, response: ServerResponse): Promise<void> {
    const found = endpoint.package ? await endpoint.package(sha256) : 'not-this-pool';
    if (found === 'not-this-pool') throw new ProtocolError(403, 'FORBIDDEN', `the package ${sha256} is not this pool's function's`);
    if (found === 'not-stored') throw new ProtocolError(404, 'NOT_FOUND', `the package ${sha256} is not in the store`);
    response.writeHead(200, { 'content-type': 'application/gzip', 'content-length': found.length }).end(found);
  }

  private authenticate(request: IncomingMessage): ReplicaEndpoint {
    const header = request.headers.authorization ?? '';
    const endpoint = header.startsWith('Bearer ') ? this.endpoints.get(header.slice(7)) : undefined;
    if (!endpoint) {
      request.resume();
      throw new ProtocolError(401, 'UNAUTHORIZED', 'missing or unknown replica token (Authorization: Bearer $PONTOON_REPLICA_TOKEN)');
    }
    return endpoint;
  }

  /**
   * Settles the posted outcomes and, with `next=N`, hands out up to N more invocations in the same
   * answer (waiting up to `wait`, default 0): one round trip per batch instead of two.
   */
  private async results(endpoint: ReplicaEndpoint, query: Query, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const next = query.has('next') ? integerParam(query, 'next', 1, 0, batchLimit) : undefined;
    const waitMs = integerParam(query, 'wait', 0, 0, maxWaitMs);
    const body = await readBody(request);
    const results = parseResults(parseJson(body));
    const take = next === undefined ? undefined : { max: next, waitMs, gone: hangUpSignal(response) };
    const { accepted, rejected, invocations } = await endpoint.results(results, take, body.length);
    if (next === undefined) send(response, 200, { accepted, rejected });
    else send(response, 200, { accepted, rejected, invocations: invocations === 'draining' || !invocations ? [] : invocations, draining: invocations === 'draining' });
  }

  private async next(endpoint: ReplicaEndpoint, query: Query, request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    const max = integerParam(query, 'max', 1, 1, batchLimit);
    const waitMs = integerParam(query, 'wait', defaultWaitMs, 0, maxWaitMs);
    // A replica that hangs up stops waiting; nothing is handed to a closed connection.
    const gone = hangUpSignal(response);
    const got = await endpoint.next(max, waitMs, gone);
    if (got === 'draining') throw new ProtocolError(410, 'REPLICA_DRAINING', 'this replica gets no more invocations: finish, post results, exit 0');
    if (got.length === 0) {
      response.writeHead(204, protocolHeader);
      response.end();
      return;
    }
    send(response, 200, { invocations: got });
  }
}

const routes: Record<string, string> = {
  '/v1/invocations/next': 'GET',
  '/v1/invocations/results': 'POST',
  '/v1/init/error': 'POST',
};

const protocolHeader = ['Pontoon-Protocol', String(replicaProtocolVersion)];

/**
 * Writes a JSON answer. Headers as a flat array (no object to walk and validate per answer); the
 * head and the body leave in one write, as ServerResponse joins them when both are given to end().
 */
function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(text)), ...protocolHeader]);
  response.end(text);
}

/** The query string's parameters (the first of a repeated name, as URLSearchParams.get). */
type Query = Map<string, string>;

function parseQuery(query: string): Query {
  const params: Query = new Map();
  if (query === '') return params;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    const key = decodeComponent(name);
    if (!params.has(key)) params.set(key, decodeComponent(value));
  }
  return params;
}

/** As application/x-www-form-urlencoded decodes a component ('+' is a space); malformed escapes are kept as written. */
function decodeComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new ProtocolError(400, 'INVALID_REQUEST', `${name} must be an integer from ${min} to ${max}, not ${text}`);
  return value;
}

/**
 * The request body, within the size limit. Read with listeners rather than an async iterator (a
 * stream iterator and its end-of-stream watcher per request); a one-chunk body is not copied.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= bodyLimitBytes) chunks.push(chunk);
      else {
        request.off('data', onData);
        // Read the rest (and drop it) so the answer can be sent on a sane connection.
        request.resume();
        reject(new ProtocolError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${bodyLimitBytes} bytes`));
      }
    };
    request.on('data', onData);
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (thrown) {
    throw new ProtocolError(400, 'INVALID_REQUEST', `body is not JSON: ${asError(thrown).message}`);
  }
}

function parseResults(body: unknown): InvocationResult[] {
  if (!checkResults(body)) throw invalid(checkResults.errors);
  const results = (body as { results: InvocationResult[] }).results;
  const seen = new Set<string>();
  for (const [index, result] of results.entries()) {
    if (seen.has(result.id)) throw new ProtocolError(400, 'INVALID_REQUEST', `results[${index}].id ${result.id} appears twice`);
    seen.add(result.id);
  }
  return results;
}

function invalid(errors: ErrorObject[] | null | undefined): ProtocolError {
  const first = errors?.[0];
  const where = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : 'body';
  return new ProtocolError(400, 'INVALID_REQUEST', `${where} ${first?.message ?? 'is invalid'}`);
}
