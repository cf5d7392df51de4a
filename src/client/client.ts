import type { Execution } from '../domain/execution.js';
import { LogFollower, type FollowLogsOptions } from './log-follower.js';
import { sendRequest, type ApiRequest } from './http.js';
import type {
  BatchOptions,
  ExecutionDetail,
  DeleteFunctionResult,
  DeployResult,
  ExecutionFilter,
  ExecutionPage,
  ExecutionSeries,
  FunctionStatsPage,
  FunctionDocumentInput,
  FunctionResource,
  InvokeOptions,
  InvokeResult,
  LogPage,
  PackageInfo,
  ScheduleView,
  SeriesOptions,
  StatsWindow,
} from './types.js';

/** Where the client talks to, and in which namespace. */
export interface PontoonClientOptions {
  /** Base URL of the API, such as `http://127.0.0.1:7070`. */
  url: string;
  /** Namespace of every namespaced call; `default` when not given. */
  namespace?: string;
  /** Bearer token sent with every request, when the server has auth on. */
  token?: string;
}

/** The default API address of a local `pontoon up`. */
export const defaultPontoonUrl = 'http://127.0.0.1:7070';

/** A typed client of the Pontoon HTTP API (v1): one method per route. */
export class PontoonClient {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly namespace: string;
  private readonly token: string | undefined;

  constructor(options: PontoonClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.namespace = options.namespace ?? 'default';
    this.token = options.token;
  }

  /** The same client, working in another namespace. */
  inNamespace(namespace: string): PontoonClient {
    return new PontoonClient({ url: this.url, namespace, token: this.token });
  }

  /** Deploys a Function document as a new version (creating the function if it is new). */
  async deployFunction(name: string, document: FunctionDocumentInput): Promise<DeployResult> {
    const response = await this.send<FunctionResource>({ method: 'PUT', path: this.functionPath(name), body: document });
    return { function: response.body, created: response.status === 201 };
  }

  /** Uploads a packed source directory (a .tar.gz); the answer names it by sha256 for `spec.package`. */
  async uploadPackage(archive: Uint8Array): Promise<PackageInfo> {
    return (await this.send<PackageInfo>({ method: 'POST', path: `${this.namespacePath()}/packages`, text: { contentType: 'application/gzip', content: archive } })).body;
  }

  /**
   * Deploys a Function document written in YAML, sent as is: the server parses and validates it,
   * so its errors name the document's own fields.
   */
  async deployFunctionYaml(name: string, yaml: string): Promise<DeployResult> {
    const response = await this.send<FunctionResource>({ method: 'PUT', path: this.functionPath(name), text: { contentType: 'application/yaml', content: yaml } });
    return { function: response.body, created: response.status === 201 };
  }

  /** Reads one function's newest version with its status. */
  async getFunction(name: string): Promise<FunctionResource> {
    return (await this.send<FunctionResource>({ method: 'GET', path: this.functionPath(name) })).body;
  }

  /** Lists the functions of this namespace. */
  async listFunctions(): Promise<FunctionResource[]> {
    const path = `${this.namespacePath()}/functions`;
    return (await this.send<{ items: FunctionResource[] }>({ method: 'GET', path })).body.items;
  }

  /** Lists the functions of every namespace. */
  async listAllFunctions(): Promise<FunctionResource[]> {
    return (await this.send<{ items: FunctionResource[] }>({ method: 'GET', path: '/v1/functions' })).body.items;
  }

  /** Deletes a function. */
  async deleteFunction(name: string): Promise<DeleteFunctionResult> {
    return (await this.send<DeleteFunctionResult>({ method: 'DELETE', path: this.functionPath(name) })).body;
  }

  /** Invokes a function with one input (`undefined` sends an empty body, which the server reads as null). */
  async invoke(name: string, input: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    const response = await this.send<Execution>({
      method: 'POST',
      path: `${this.functionPath(name)}/invoke`,
      query: { wait: options.wait, priority: options.priority, delay: options.delay, runAt: options.runAt },
      headers: { 'idempotency-key': options.idempotencyKey, 'x-callback-url': options.callbackUrl },
      body: input,
      signal: options.signal,
    });
    return {
      execution: response.body,
      waitExpired: response.headers.get('x-pontoon-wait-expired') === 'true',
      replay: response.headers.get('x-pontoon-idempotent-replay') === 'true',
    };
  }

  /** Enqueues one execution per input in one request. */
  async invokeBatch(name: string, inputs: unknown[], options: BatchOptions = {}): Promise<Execution[]> {
    const { priority, delay, runAt } = options;
    const body = { inputs, ...(priority === undefined ? {} : { priority }), ...(delay === undefined ? {} : { delay }), ...(runAt === undefined ? {} : { runAt }) };
    const path = `${this.functionPath(name)}/batch`;
    return (await this.send<{ items: Execution[] }>({ method: 'POST', path, body })).body.items;
  }

  /** Lists one page of executions, newest first. */
  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionPage> {
    const { function: fn, status, limit, cursor, createdSince, createdBefore } = filter;
    const query = { function: fn, status, limit, cursor, createdSince, createdBefore };
    return (await this.send<ExecutionPage>({ method: 'GET', path: `${this.namespacePath()}/executions`, query })).body;
  }

  /** Reads one execution with its attempts; a queued one says why it waits. */
  async getExecution(id: string): Promise<ExecutionDetail> {
    return (await this.send<ExecutionDetail>({ method: 'GET', path: this.executionPath(id) })).body;
  }

  /** Cancels a queued or running execution; answers it, now cancelled. */
  async cancelExecution(id: string): Promise<Execution> {
    return (await this.send<Execution>({ method: 'POST', path: `${this.executionPath(id)}/cancel` })).body;
  }

  /** Reads one page of an execution's logs. */
  async getLogs(id: string, options: { attempt?: number; after?: number; limit?: number } = {}): Promise<LogPage> {
    const query = { attempt: options.attempt, after: options.after, limit: options.limit };
    return (await this.send<LogPage>({ method: 'GET', path: `${this.executionPath(id)}/logs`, query })).body;
  }

  /**
   * Follows an execution's logs live (server-sent events): iterate it for each line; it ends when
   * the execution has ended and every line was sent, and resumes where it was if the connection drops.
   */
  followLogs(id: string, options: FollowLogsOptions = {}): LogFollower {
    return new LogFollower(this.url, `${this.executionPath(id)}/logs`, options, this.token);
  }

  /** The cron schedules of this namespace's functions, with their next fire times. */
  async listSchedules(fn?: string): Promise<ScheduleView[]> {
    const path = `${this.namespacePath()}/schedules`;
    return (await this.send<{ items: ScheduleView[] }>({ method: 'GET', path, query: { function: fn } })).body.items;
  }

  /** How each function's executions that ended in a window (default: the last hour) ended, and took. */
  async functionStats(window: StatsWindow = {}): Promise<FunctionStatsPage> {
    const query = { since: window.since, until: window.until };
    return (await this.send<FunctionStatsPage>({ method: 'GET', path: `${this.namespacePath()}/stats/functions`, query })).body;
  }

  /** Throughput, failures, durations and queue depth over a window, in buckets. */
  async executionSeries(options: SeriesOptions = {}): Promise<ExecutionSeries> {
    const query = { since: options.since, until: options.until, function: options.function, bucket: options.bucket };
    return (await this.send<ExecutionSeries>({ method: 'GET', path: `${this.namespacePath()}/stats/series`, query })).body;
  }

  /** The Function JSON Schema the server validates against. */
  async getSchema(): Promise<unknown> {
    return (await this.send<unknown>({ method: 'GET', path: '/v1/schema' })).body;
  }

  /** Liveness: resolves when the server answers `/healthz`. */
  async health(): Promise<{ status: string }> {
    return (await this.send<{ status: string }>({ method: 'GET', path: '/healthz' })).body;
  }

  /** Readiness: resolves when the server is ready, throws `NOT_READY` otherwise. */
  async ready(): Promise<{ status: string }> {
    return (await this.send<{ status: string }>({ method: 'GET', path: '/readyz' })).body;
  }

  private send<T>(request: ApiRequest) {
    return sendRequest<T>(this.url, withToken(request, this.token));
  }

  private namespacePath(): string {
    return `/v1/namespaces/${encodeURIComponent(this.namespace)}`;
  }

  private functionPath(name: string): string {
    return `${this.namespacePath()}/functions/${encodeURIComponent(name)}`;
  }

  private executionPath(id: string): string {
    return `${this.namespacePath()}/executions/${encodeURIComponent(id)}`;
  }
}

/** The request with the bearer token's Authorization header, when there is a token. */
function withToken(request: ApiRequest, token: string | undefined): ApiRequest {
  return token === undefined ? request : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
}
