import type { Logger } from 'pino';
import { PontoonError, asError } from '../domain/errors.js';
import type { FunctionDocument, FunctionVersion } from '../domain/function-spec.js';
import { validateFunctionDocument } from '../domain/validate-spec.js';
import type { Store } from '../store/store.js';
import { functionCrd, functionCrdName } from './function-crd.js';
import { documentOf, functionFinalizer, functionsPath, objectOf, sameJson, type FunctionObject, type FunctionStatus } from './function-resource.js';
import { isKubeStatus, type KubeApi, type KubeObject } from './kube-api.js';
import { functionRefusal } from './resource-refusal.js';
import { WatchedObjects } from './watched-objects.js';

/** What the reconciler deploys with (the engine). */
export interface FunctionDeployer {
  deploy(input: unknown): Promise<{ fn: FunctionVersion; created: boolean }>;
}

/** What a reconciler is made with. */
export interface FunctionReconcilerOptions {
  api: KubeApi;
  store: Store;
  deployer: FunctionDeployer;
  logger: Logger;
  /** How often every function is reconciled even without a change (status, API deletions). Default 10s. */
  resyncMs?: number;
  /** Install (server-side apply) the CRD at start. Default true. */
  installCrd?: boolean;
  /**
   * True while this controller leads. Only the leader deploys resources and writes their status,
   * so replicas sharing a store never deploy the same change twice. Default: always.
   */
  isLeader?: () => boolean;
}

/** Field manager of everything the controller writes. */
export const fieldManager = 'pontoon-controller';

/**
 * Keeps the Function custom resources and Pontoon's registry one: the resources are the source of
 * truth. A resource applied with kubectl is deployed (a new version when its spec changed), also
 * into a registry that lacks it (a fresh store); a function deployed through Pontoon's API is
 * tried on the API server before it is stored (`admit`) and written as a resource after
 * (`publish`); deleting the resource deletes the function (a finalizer makes that happen even if
 * the controller was down); a function deleted through the API has its resource deleted
 * (`deleted`). Status (version, phase, queued, running, last execution) is written back for
 * `kubectl get functions`. Level-triggered: each pass reads both sides and closes the gap, so a
 * restart at any line is safe.
 */
export class FunctionReconciler {
  private readonly watch: WatchedObjects<FunctionObject>;
  private readonly queue = new Set<string>();
  private draining: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Resources being deployed by this reconciler: their deploy must not be mirrored back. */
  private readonly fromResource = new Set<string>();

  constructor(private readonly options: FunctionReconcilerOptions) {
    this.watch = new WatchedObjects<FunctionObject>(options.api, functionsPath(), {
      changed: (object) => this.enqueue(object.metadata.namespace, object.metadata.name),
      deleted: (object) => this.enqueue(object.metadata.namespace, object.metadata.name),
      failed: (error) => options.logger.warn({ err: error }, 'Function watch failed; restarting'),
    });
  }

  /** Installs the CRD if asked, starts watching, and mirrors functions that have no resource yet. */
  async start(): Promise<void> {
    if (this.options.installCrd !== false) await installFunctionCrd(this.options.api);
    await this.watch.start();
    await this.resync();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    await this.watch.stop();
    await this.draining;
  }

  /** Resolves once every queued reconcile is done (tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Deletes the resource of a function deleted through Pontoon's API (its finalizer then runs). */
  async deleted(namespace: string, name: string): Promise<void> {
    await this.options.api.delete(`${functionsPath(namespace)}/${name}`);
  }

  /**
   * Asks the API server whether it takes the resource of a function about to be deployed through
   * Pontoon's API, by a server-side dry run of the write `publish` makes: a refusal (a label value
   * Kubernetes does not allow, a namespace the cluster lacks) throws INVALID_SPEC before anything
   * is stored. A deploy made by this reconciler itself has its resource already and is skipped.
   */
  async admit(document: FunctionDocument): Promise<void> {
    const { namespace, name } = document.metadata;
    if (this.fromResource.has(`${namespace}/${name}`)) return;
    const provisional: FunctionVersion = { namespace, name, version: 0, document, createdAt: new Date(0).toISOString() };
    try {
      await this.apply(provisional, true);
    } catch (thrown) {
      throw functionRefusal(thrown, namespace) ?? thrown;
    }
  }

  /**
   * Writes the resource of a version just deployed through Pontoon's API (admitted before). Should
   * the API server refuse it now all the same (its namespace went since the dry run), the deploy
   * is undone: a new function is deleted again, and an older one's resource, still the source of
   * truth, is reconciled back into the registry.
   */
  async publish({ fn, created }: { fn: FunctionVersion; created: boolean }): Promise<void> {
    if (this.fromResource.has(`${fn.namespace}/${fn.name}`)) return;
    try {
      await this.apply(fn, false);
    } catch (thrown) {
      const refusal = functionRefusal(thrown, fn.namespace);
      if (!refusal) throw thrown; // not refused, only not written yet: the resync writes it
      if (created) await this.options.store.deleteFunction(fn.namespace, fn.name);
      else this.enqueue(fn.namespace, fn.name);
      throw refusal;
    }
  }

  /** Writes the resource of a stored function that has none (see resync). */
  async mirror(fn: FunctionVersion): Promise<void> {
    if (this.fromResource.has(`${fn.namespace}/${fn.name}`)) return;
    await this.apply(fn, false);
  }

  private async apply(fn: FunctionVersion, dryRun: boolean): Promise<void> {
    await this.options.api.patch(`${functionsPath(fn.namespace)}/${fn.name}`, 'apply', objectOf(fn), { fieldManager, force: true, dryRun: dryRun ? 'All' : undefined });
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.resync()
        .catch((thrown) => this.options.logger.error({ err: asError(thrown) }, 'function resync failed'))
        .finally(() => this.scheduleResync());
    }, this.options.resyncMs ?? 10_000);
    this.resyncTimer.unref();
  }

  /** Every resource and every stored function gets a reconcile; stored ones without a resource are mirrored. */
  private async resync(): Promise<void> {
    const objects = this.watch.list();
    const known = new Set(objects.map((object) => `${object.metadata.namespace}/${object.metadata.name}`));
    for (const fn of await this.options.store.listFunctions()) {
      if (known.has(`${fn.namespace}/${fn.name}`)) continue;
      try {
        await this.mirror(fn);
      } catch (thrown) {
        this.options.logger.error({ err: asError(thrown), function: `${fn.namespace}/${fn.name}` }, 'cannot write the Function resource');
      }
    }
    for (const key of known) this.queue.add(key);
    this.drain();
  }

  private enqueue(namespace: string, name: string): void {
    this.queue.add(`${namespace}/${name}`);
    this.drain();
  }

  /** One reconcile at a time, in arrival order; a key queued twice is done once. */
  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = (async () => {
      while (this.queue.size > 0 && !this.stopped) {
        const key = this.queue.values().next().value as string;
        this.queue.delete(key);
        const [namespace, name] = key.split('/');
        try {
          await this.reconcile(namespace, name);
        } catch (thrown) {
          this.options.logger.error({ err: asError(thrown), function: key }, 'reconciling the Function failed; retried at the next resync');
        }
      }
    })().finally(() => (this.draining = undefined));
  }

  private async reconcile(namespace: string, name: string): Promise<void> {
    // A follower keeps its cache warm; the leader's resync covers what it skips.
    if (this.options.isLeader && !this.options.isLeader()) return;
    const { api, store } = this.options;
    const path = `${functionsPath(namespace)}/${name}`;
    let object: FunctionObject;
    try {
      // Read fresh: the cache may trail a write this reconciler just made.
      object = await api.get<FunctionObject>(path);
    } catch (thrown) {
      if (isKubeStatus(thrown, 404)) return; // gone; its finalizer already ran
      throw thrown;
    }
    const stored = await store.getFunction(namespace, name);

    if (object.metadata.deletionTimestamp) {
      if (stored) await store.deleteFunction(namespace, name);
      await this.removeFinalizer(object);
      this.options.logger.info({ function: `${namespace}/${name}` }, 'Function resource deleted: function deleted');
      return;
    }
    const generation = object.metadata.generation ?? 0;
    if (!(object.metadata.finalizers as string[] | undefined)?.includes(functionFinalizer)) {
      object = await api.patch<FunctionObject>(path, 'merge', { metadata: { finalizers: [...((object.metadata.finalizers as string[]) ?? []), functionFinalizer], resourceVersion: object.metadata.resourceVersion } });
    }

    let fn = stored;
    let problem: string | undefined;
    const document = documentOf(object);
    try {
      const validated = validateFunctionDocument(document);
      if (!stored || !sameJson(validated.spec, stored.document.spec) || !sameJson(validated.metadata, stored.document.metadata)) {
        const key = `${namespace}/${name}`;
        this.fromResource.add(key);
        try {
          fn = (await this.options.deployer.deploy(document)).fn;
        } finally {
          this.fromResource.delete(key);
        }
        this.options.logger.info({ function: key, version: fn.version }, 'Function resource deployed');
      }
    } catch (thrown) {
      if (!(thrown instanceof PontoonError)) throw thrown;
      problem = thrown.message;
    }
    await this.writeStatus(object, await this.statusOf(fn, generation, problem));
  }

  private async statusOf(fn: FunctionVersion | undefined, generation: number, problem: string | undefined): Promise<FunctionStatus> {
    const status: FunctionStatus = { observedGeneration: generation, phase: problem ? 'Invalid' : 'Ready' };
    if (problem) status.message = problem;
    if (!fn) return status;
    const [counts, last] = await Promise.all([
      this.options.store.countExecutions(fn.namespace, fn.name, ['queued', 'running']),
      this.options.store.listExecutions({ namespace: fn.namespace, function: fn.name, limit: 1 }),
    ]);
    const newest = last.items[0];
    return {
      ...status,
      version: fn.version,
      queued: counts.queued,
      running: counts.running,
      lastExecution: newest ? { id: newest.id, status: newest.status, createdAt: newest.createdAt } : null,
    };
  }

  private async writeStatus(object: FunctionObject, status: FunctionStatus): Promise<void> {
    const current = { ...object.status };
    if (sameJson(withoutUndefined(current), withoutUndefined({ ...status, message: status.message }))) return;
    // A merge patch would leave a stale message behind: name it null when there is none.
    const body = { status: { ...status, message: status.message ?? null, lastExecution: status.lastExecution ?? null } };
    await this.options.api.patch(`${functionsPath(object.metadata.namespace)}/${object.metadata.name}/status`, 'merge', body);
  }

  private async removeFinalizer(object: FunctionObject): Promise<void> {
    const finalizers = (object.metadata.finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes(functionFinalizer)) return;
    try {
      await this.options.api.patch(`${functionsPath(object.metadata.namespace)}/${object.metadata.name}`, 'merge', {
        metadata: { finalizers: finalizers.filter((name) => name !== functionFinalizer), resourceVersion: object.metadata.resourceVersion },
      });
    } catch (thrown) {
      if (!isKubeStatus(thrown, 404)) throw thrown;
    }
  }
}

function withoutUndefined(value: object): object {
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => (inner === null ? undefined : inner)));
}

/** Server-side applies the Function CRD and waits until the API server serves it. */
export async function installFunctionCrd(api: KubeApi, timeoutMs = 30_000): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${functionCrdName}`;
  await api.patch(path, 'apply', functionCrd(), { fieldManager, force: true });
  const until = Date.now() + timeoutMs;
  for (;;) {
    const crd = await api.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(path);
    if (crd.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True')) return;
    if (Date.now() > until) throw new Error(`the CRD ${functionCrdName} was not established within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
