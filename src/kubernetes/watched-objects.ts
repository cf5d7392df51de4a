import { makeInformer, type Informer, type KubernetesObject } from '@kubernetes/client-node';
import { asError } from '../domain/errors.js';
import type { KubeApi, KubeList, KubeObject } from './kube-api.js';

/** What a WatchedObjects reports. */
export interface WatchHandlers<T extends KubeObject> {
  /** An object was added or changed (also for each object of a re-list). */
  changed(object: T): void;
  /** An object was deleted (or is gone from a re-list). */
  deleted(object: T): void;
  /** The watch failed; it restarts by itself after a back-off. */
  failed?(error: Error): void;
}

/** Longest pause between restarts of a failed watch. */
const maxRestartDelayMs = 5000;

/**
 * An informer over a collection (a list, then a watch from its resourceVersion), restarted with
 * back-off when the watch fails; an expired resourceVersion (410 Gone) makes it list again from
 * scratch, which reports what changed meanwhile. Objects are never polled.
 */
export class WatchedObjects<T extends KubeObject> {
  private readonly informer: Informer<KubernetesObject>;
  private stopped = false;
  private restartDelayMs = 200;
  private restartTimer: NodeJS.Timeout | undefined;
  private synced!: () => void;
  private lastError: Error | undefined;
  /** Settles after the first list has been delivered. */
  readonly ready: Promise<void>;

  constructor(
    api: KubeApi,
    /** Collection path such as `/apis/batch/v1/jobs` (all namespaces). */
    private readonly path: string,
    private readonly handlers: WatchHandlers<T>,
    labelSelector?: string,
  ) {
    this.ready = new Promise((resolve) => (this.synced = resolve));
    const list = async () => {
      const answer = await api.get<KubeList<T>>(path, { labelSelector });
      // The informer calls this before delivering the list's objects: ready follows in a tick.
      setImmediate(() => this.synced());
      this.restartDelayMs = 200;
      return answer as unknown as KubeList<T> & { items: KubernetesObject[] };
    };
    this.informer = makeInformer(api.config, path, list as never, labelSelector);
    this.informer.on('add', (object) => this.deliver(() => handlers.changed(object as T)));
    this.informer.on('update', (object) => this.deliver(() => handlers.changed(object as T)));
    this.informer.on('delete', (object) => this.deliver(() => handlers.deleted(object as T)));
    this.informer.on('error', (error) => this.restart(asError(error)));
  }

  /**
   * Starts listing and watching; resolves once the first list is delivered, or rejects with the
   * last error when that has not happened within `timeoutMs` (the watch keeps trying regardless).
   */
  async start(timeoutMs = 30_000): Promise<void> {
    this.stopped = false;
    void this.informer.start().catch((thrown) => this.restart(asError(thrown)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`cannot list ${this.path}${this.lastError ? `: ${this.lastError.message}` : ''}`)), timeoutMs);
    });
    try {
      await Promise.race([this.ready, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Objects currently known, from the informer's cache. */
  list(): T[] {
    return (this.informer as unknown as { list(namespace?: string): T[] }).list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private restart(error: Error): void {
    if (this.stopped) return;
    this.lastError = error;
    this.handlers.failed?.(error);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      void this.informer.start().catch((thrown) => this.restart(asError(thrown)));
    }, this.restartDelayMs);
    this.restartDelayMs = Math.min(maxRestartDelayMs, this.restartDelayMs * 2);
  }

  private deliver(call: () => void): void {
    try {
      call();
    } catch (thrown) {
      process.emitWarning(`watch handler failed: ${asError(thrown).message}`);
    }
  }
}
