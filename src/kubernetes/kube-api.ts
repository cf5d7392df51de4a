import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

/** Minimal shape of every Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** A list answer. */
export interface KubeList<T extends KubeObject> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** What a Status answer says about the object it refused: which one, and the fields at fault. */
export interface KubeStatusDetails {
  name?: string;
  kind?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
}

/** An error answer of the API server, with its HTTP status and `reason` (NotFound, AlreadyExists, Conflict, …). */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** The Status answer's details, when it gave any. */
    readonly details?: KubeStatusDetails,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/** True when `thrown` is the API server saying `status`. */
export function isKubeStatus(thrown: unknown, status: number): boolean {
  return thrown instanceof KubeError && thrown.status === status;
}

/** How a request body is sent. */
export type PatchType = 'merge' | 'apply' | 'json';
const contentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
  json: 'application/json-patch+json',
};

/** Loads the kubeconfig: the given file, else in-cluster (service account), else KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(file?: string): KubeConfig {
  const config = new KubeConfig();
  if (file) config.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) config.loadFromCluster();
  else config.loadFromDefault();
  return config;
}

/**
 * A small JSON client of the Kubernetes API on top of @kubernetes/client-node's KubeConfig (for
 * credentials, including in-cluster token rotation). Plain objects in and out, one keep-alive
 * agent: the generated clients open a TLS connection per call, which halved Job creations per
 * second in bench/k8s-jobs.ts.
 */
export class KubeApi {
  private agent: Agent | undefined;
  /** Long-lived streams (log follows) get their own sockets, so they never queue short requests. */
  private streamAgent: Agent | undefined;
  readonly server: URL;

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    this.server = new URL(cluster.server);
  }

  /** GET of one object or list. */
  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** POST of a new object. */
  create<T extends KubeObject>(path: string, body: T, query?: Record<string, string | undefined>): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  /** PUT of a whole object (optimistic concurrency through metadata.resourceVersion). */
  replace<T extends KubeObject>(path: string, body: T): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  /** PATCH: JSON merge patch, server-side apply (with a field manager) or JSON patch. */
  patch<T>(path: string, type: PatchType, body: unknown, query?: Record<string, string | boolean | undefined>): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: contentTypes[type], query });
  }

  /** DELETE; a missing object is not an error. */
  async delete(path: string, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<void> {
    try {
      await this.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } });
    } catch (thrown) {
      if (!isKubeStatus(thrown, 404)) throw thrown;
    }
  }

  /** A text answer (pod logs). */
  text(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<string> {
    return this.request<string>('GET', path, { query, raw: true });
  }

  /**
   * Streams a text answer (pod logs with follow=true) to `onData` until the server ends it or
   * `signal` aborts; resolves when it ends, rejects with KubeError on an error status.
   */
  async stream(path: string, query: Record<string, string | number | boolean | undefined>, onData: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    const { options, url } = await this.prepare('GET', path, query, true, true);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const req = send({ ...options, signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => reject(new KubeError(status, 'Unknown', `GET ${url.pathname}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`)));
          res.on('error', reject);
          return;
        }
        res.on('data', onData);
        res.on('end', () => resolve());
        res.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
      });
      req.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
      req.end();
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.streamAgent?.destroy();
    this.streamAgent = undefined;
  }

  /** Request options with credentials and the shared keep-alive agent. */
  private async prepare(
    method: string,
    path: string,
    query: Record<string, string | number | boolean | undefined> | undefined,
    raw: boolean,
    streaming = false,
  ): Promise<{ options: RequestOptions; url: URL }> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const options: RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: raw ? '*/*' : 'application/json' },
    };
    await this.config.applyToHTTPSOptions(options);
    if (url.protocol === 'https:') {
      const tls = { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: options.rejectUnauthorized };
      if (streaming) {
        this.streamAgent ??= new Agent({ keepAlive: false, ...tls });
        options.agent = this.streamAgent;
      } else {
        this.agent ??= new Agent({ keepAlive: true, maxSockets: 32, ...tls });
        options.agent = this.agent;
      }
    } else {
      delete options.agent;
    }
    return { options, url };
  }

  /** Sends one request; answers parsed JSON (or text when `raw`), throws KubeError on 4xx/5xx. */
  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; query?: Record<string, string | number | boolean | undefined>; raw?: boolean } = {},
  ): Promise<T> {
    const { options: requestOptions, url } = await this.prepare(method, path, options.query, options.raw === true);
    const payload = options.body === undefined ? undefined : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    const headers = requestOptions.headers as Record<string, string | number>;
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let reason = 'Unknown';
            let message = text.slice(0, 500) || `HTTP ${status}`;
            let details: KubeStatusDetails | undefined;
            try {
              const parsed = JSON.parse(text) as { reason?: string; message?: string; details?: KubeStatusDetails };
              reason = parsed.reason ?? reason;
              message = parsed.message ?? message;
              details = parsed.details;
            } catch {
              // Not a Status object: keep the text.
            }
            reject(new KubeError(status, reason, `${method} ${url.pathname}: ${message}`, details));
            return;
          }
          if (options.raw) return resolve(text as T);
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch (thrown) {
            reject(thrown);
          }
        });
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}
