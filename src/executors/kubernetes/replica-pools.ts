import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { asError } from '../../domain/errors.js';
import type { FunctionVersion } from '../../domain/function-spec.js';
import type { WarmSettings } from '../../domain/warm.js';
import { isKubeStatus, type KubeApi, type KubeList, type KubeObject } from '../../kubernetes/kube-api.js';
import { functionsPath } from '../../kubernetes/function-resource.js';
import type { AttemptRef, ClaimedAttempt, FunctionRef, LogLine } from '../../store/store.js';
import { Replica, type ReplicaHost } from '../warm/replica.js';
import type { ReplicaEndpoint, RuntimeApi } from '../warm/runtime-api.js';
import { WakeSignal } from '../warm/wake-signal.js';
import type { PoolStatus, PoolTarget, ReplicaPools, ReplicaSettlement, WaitingReplica, WorkSource } from '../executor.js';
import { labels, labelValue, managedByValue } from './labels.js';
import { startFailure, type Pod } from './pod-status.js';
import {
  poolLabels,
  poolObjectName,
  replicaDeployment,
  replicaSecret,
  restartedAtAnnotation,
  templateHashAnnotation,
  tokenKey,
  type PoolOwner,
  type ReplicaDeploymentSettings,
} from './replica-deployment.js';

/** What Kubernetes pools are made with. */
export interface KubernetesPoolsOptions {
  api: KubeApi;
  /** The runtime API replicas call, listening where pods reach it. */
  runtimeApi: RuntimeApi;
  deployment: ReplicaDeploymentSettings;
  logger: Logger;
  graceMs: number;
  logLimitBytes(fn: FunctionVersion): number;
  resultLimitBytes(fn: FunctionVersion): number;
  /** Runs an attempt of another version than a pool's replicas serve, as a Job. */
  runCold(claimed: ClaimedAttempt): void;
  /** Reads an uploaded package from the store, for pools' init containers. */
  readPackage?: (sha256: string) => Promise<Buffer | undefined>;
}

interface Deployment extends KubeObject {
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: { replicas?: number; readyReplicas?: number };
}

/**
 * The pool's endpoint as the runtime API sees it: the replica's protocol, and the function's
 * package for the pods' init containers, to the holders of the pool's token only.
 */
function withPackage(replica: Replica, fn: FunctionVersion, read: KubernetesPoolsOptions['readPackage']): ReplicaEndpoint {
  return {
    next: (max, waitMs, gone) => replica.next(max, waitMs, gone),
    results: (results, next) => replica.results(results, next),
    initError: (message) => replica.initError(message),
    package: async (sha256) => {
      if (fn.document.spec.package?.sha256 !== sha256) return 'not-this-pool';
      return (await read?.(sha256)) ?? 'not-stored';
    },
  };
}

const keyOf = (ref: FunctionRef) => `${ref.namespace}/${ref.name}`;
const deploymentsPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/deployments`;
const secretsPath = (namespace: string) => `/api/v1/namespaces/${namespace}/secrets`;

/**
 * The warm replicas of one function version: a Deployment (and the Secret of its token) owned by
 * the Function resource, and one runtime API endpoint for all its pods. The endpoint is a warm
 * Replica (src/executors/warm) whose process is the Deployment: it keeps the invocations in
 * flight, their deadlines and settlements, across however many pods share its token.
 */
class VersionPool implements ReplicaHost {
  readonly work = new WakeSignal();
  readonly logger: Logger;
  endpoint: Replica | undefined;
  /** Set once the Deployment exists: its executions then go to replicas. */
  deployed = false;
  /** Draining (an older version, or the function is no longer warm): deleted once its endpoint stopped. */
  draining = false;
  observed: Deployment | undefined;
  /** Why its pods cannot start, while none is ready: its executions then run as Jobs. */
  startFailure: string | undefined;
  /** When the pods were last replaced because an invocation passed its deadline. */
  private restartedAt: string | undefined;
  private token: string | undefined;

  constructor(
    readonly fn: FunctionVersion,
    public settings: WarmSettings,
    private readonly pools: KubernetesPools,
    private readonly options: KubernetesPoolsOptions,
  ) {
    this.logger = options.logger;
  }

  get name(): string {
    return poolObjectName(this.fn);
  }

  /** Brings the Secret, the endpoint, the Deployment and its scale to `desired`; safe to repeat. */
  async apply(desired: number, owner: PoolOwner): Promise<void> {
    const { api } = this.options;
    const namespace = this.fn.namespace;
    this.token ??= await this.ensureToken(owner);
    if (!this.endpoint && !this.draining) this.openEndpoint();
    const wanted = replicaDeployment(this.fn, this.settings, owner, this.options.deployment, this.restartedAt ?? this.observed?.spec?.template?.metadata?.annotations?.[restartedAtAnnotation]);
    let current = this.observed;
    if (!current) {
      try {
        current = await api.create<Deployment>(deploymentsPath(namespace), wanted);
        this.options.logger.info({ function: keyOf(this.fn), deployment: this.name }, 'replica Deployment created');
      } catch (thrown) {
        if (!isKubeStatus(thrown, 409)) throw thrown;
        current = await api.get<Deployment>(`${deploymentsPath(namespace)}/${this.name}`);
      }
    }
    const wantedHash = wanted.metadata?.annotations?.[templateHashAnnotation];
    if (current.metadata?.annotations?.[templateHashAnnotation] !== wantedHash) {
      // The runtime API moved (a restart on another port) or pods are to be replaced: a rolling update.
      current = await api.patch<Deployment>(`${deploymentsPath(namespace)}/${this.name}`, 'merge', {
        metadata: { annotations: { [templateHashAnnotation]: wantedHash } },
        spec: { template: (wanted as Deployment & { spec: { template: unknown } }).spec.template },
      });
    }
    this.deployed = true;
    if (current.spec?.replicas !== desired) {
      await api.patch(`${deploymentsPath(namespace)}/${this.name}/scale`, 'merge', { spec: { replicas: desired } });
    }
    await this.checkStarts(desired);
  }

  /**
   * A pool whose pods cannot start (an image that does not pull, a program that crashes at once)
   * lets its executions run as Jobs, where each fails with its own error and the retry policy
   * decides, rather than wait for a replica that never comes (as local pools do after failed
   * starts). It serves again once a pod is ready, or the pool is back at zero.
   */
  private async checkStarts(desired: number): Promise<void> {
    const ready = this.observed?.status?.readyReplicas ?? 0;
    let failure: string | undefined;
    if (desired > 0 && ready === 0) {
      const selector = `${poolLabels.pool}=${labelValue(this.fn.name)},${poolLabels.version}=${this.fn.version}`;
      const pods = await this.options.api.get<KubeList<Pod>>(`/api/v1/namespaces/${this.fn.namespace}/pods`, { labelSelector: selector });
      failure = pods.items.map(startFailure).find((found) => found !== undefined);
    }
    if (failure && !this.startFailure) this.logger.warn({ function: keyOf(this.fn), error: failure }, 'warm replicas cannot start: executions run as Jobs meanwhile');
    if (!failure && this.startFailure) this.logger.info({ function: keyOf(this.fn) }, 'warm replicas serve again');
    this.startFailure = failure;
  }

  /** The token in the pool's Secret, or a new one stored there: a restarted controller keeps its pods. */
  private async ensureToken(owner: PoolOwner): Promise<string> {
    const { api, deployment } = this.options;
    const path = `${secretsPath(this.fn.namespace)}/${this.name}`;
    try {
      const secret = await api.get<KubeObject & { data?: Record<string, string> }>(path);
      const stored = secret.data?.[tokenKey];
      if (stored) return Buffer.from(stored, 'base64').toString('utf8');
    } catch (thrown) {
      if (!isKubeStatus(thrown, 404)) throw thrown;
    }
    const token = randomBytes(32).toString('base64url');
    try {
      await api.create(secretsPath(this.fn.namespace), replicaSecret(this.fn, owner, token, deployment.controllerId));
      return token;
    } catch (thrown) {
      if (!isKubeStatus(thrown, 409)) throw thrown;
      return this.ensureToken(owner);
    }
  }

  private openEndpoint(): void {
    const { fn, settings, options } = this;
    const endpoint = new Replica(
      {
        fn,
        concurrency: settings.concurrency * Math.max(1, settings.max),
        prefetch: (settings.prefetch ?? 0) * Math.max(1, settings.max),
        command: [],
        cwd: '/',
        env: {},
        runtimeApi: options.deployment.runtimeApi,
        graceMs: options.graceMs,
        logLimitBytes: options.logLimitBytes(fn),
        resultLimitBytes: options.resultLimitBytes(fn),
        // Pods start on Kubernetes' schedule: readiness is the Deployment's, not a start timeout.
        startTimeoutMs: 2 ** 31 - 1,
        token: this.token,
        launch: (life) => {
          let gone = false;
          return {
            stop: async () => {
              if (gone) return;
              gone = true;
              // The stuck handler is in some pod of the Deployment: replace them all.
              if (!this.draining) this.restartedAt = new Date().toISOString();
              life.onExit({ code: null, signal: 'SIGTERM', oomKilled: false, lastStderrLine: '' });
            },
          };
        },
      },
      this,
    );
    this.endpoint = endpoint;
    options.runtimeApi.register(endpoint.token, withPackage(endpoint, fn, options.readPackage));
  }

  /** No more work for its pods: they finish, post, and exit; the Deployment goes once they are done. */
  drain(why: string): void {
    this.draining = true;
    this.endpoint?.drain(why);
  }

  /**
   * Its endpoint's slots held for a direct handoff, when a pod of the serving Deployment waits in
   * its long poll (ReplicaPools.waiting); attempts of another version run as Jobs, as a claim's do,
   * and all of them do if the endpoint stopped taking work meanwhile.
   */
  waiting(max: number): WaitingReplica | undefined {
    const endpoint = this.endpoint;
    if (!endpoint || this.draining || !this.deployed || this.startFailure) return undefined;
    const slots = endpoint.hold(max);
    if (slots <= 0) return undefined;
    return {
      slots,
      deliver: (claimed) => {
        const mine = this.keep(claimed);
        if (!endpoint.deliver(mine, slots)) for (const attempt of mine) this.options.runCold(attempt);
      },
    };
  }

  /** Whether nothing is left to wait for before the Deployment is deleted. */
  isDrained(): boolean {
    return this.draining && (!this.endpoint || this.endpoint.state === 'stopped');
  }

  status(): Omit<PoolStatus, 'namespace' | 'name' | 'version' | 'desired'> {
    const replicas = this.observed?.status?.replicas ?? 0;
    const ready = this.observed?.status?.readyReplicas ?? 0;
    if (this.draining) return { ready: 0, starting: 0, draining: replicas, inFlight: this.endpoint?.load ?? 0 };
    return { ready, starting: Math.max(0, replicas - ready), draining: 0, inFlight: this.endpoint?.load ?? 0 };
  }

  async close(): Promise<void> {
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    if (!endpoint) return;
    this.options.runtimeApi.unregister(endpoint.token);
    await endpoint.close();
  }

  // ---- ReplicaHost ----

  async take(replica: Replica, max: number): Promise<ClaimedAttempt[]> {
    return this.keep(await this.pools.source().take(this.fn, max));
  }

  async settleAndTake(replica: Replica, settlements: ReplicaSettlement[], max: number): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    const step = await this.pools.source().settleAndTake(settlements, this.fn, max);
    return { applied: step.applied, claimed: this.keep(step.claimed) };
  }

  /** An execution enqueued before a deploy runs the version it was enqueued with: as a Job. */
  private keep(claimed: ClaimedAttempt[]): ClaimedAttempt[] {
    const mine = claimed.filter((attempt) => attempt.function.version === this.fn.version);
    for (const attempt of claimed) if (attempt.function.version !== this.fn.version) this.options.runCold(attempt);
    // More of the old version may be queued, and only replicas claim this function's work: look again.
    if (mine.length < claimed.length) this.work.fire();
    return mine;
  }

  settle(settlements: ReplicaSettlement[]): Promise<boolean[]> {
    return this.pools.source().settle(settlements);
  }

  logs(ref: AttemptRef, lines: LogLine[]): void {
    this.pools.source().logs(ref, lines);
  }

  changed(replica: Replica): void {
    if (replica.state !== 'stopped' || replica !== this.endpoint) return;
    // Stopped for a deadline (its pods are being replaced) or drained: a serving pool opens a new
    // endpoint under the same token, with nothing in flight.
    this.options.runtimeApi.unregister(replica.token);
    this.endpoint = undefined;
    if (!this.draining) this.openEndpoint();
    this.pools.kick();
  }
}

/** Pools of one function: the version it serves and older ones draining. */
interface FunctionPools {
  target: PoolTarget | undefined;
  current: VersionPool | undefined;
  old: Set<VersionPool>;
}

/**
 * Warm pools on Kubernetes (docs/warm-replicas.md): each warm function version is a Deployment of
 * its image started as a replica, sized by the Scalar through the Deployment's scale subresource.
 * Level-triggered: every resize (each Scalar pass) brings the Secret, the Deployment, its
 * template and its scale to what is wanted, so a controller restarted at any point picks up where
 * its objects stand. Ready replicas are the Deployment's. A new version gets a new Deployment; the
 * old one's pods are drained through the protocol and its Deployment deleted once they are done.
 */
export class KubernetesPools implements ReplicaPools {
  private readonly byFunction = new Map<string, FunctionPools>();
  private workSource: WorkSource | undefined;
  private passing: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: KubernetesPoolsOptions) {}

  /** host:port of the runtime API as pods reach it, once it listens. */
  setRuntimeApi(address: string): void {
    this.options.deployment.runtimeApi = address;
  }

  attach(source: WorkSource): void {
    this.workSource = source;
  }

  /** The engine's work source, once attached. */
  source(): WorkSource {
    if (!this.workSource) throw new Error('warm pools are not attached to an engine');
    return this.workSource;
  }

  resize(targets: PoolTarget[]): void {
    if (this.closed) return;
    const wanted = new Set<string>();
    for (const target of targets) {
      const key = keyOf(target.fn);
      wanted.add(key);
      const pools = this.byFunction.get(key) ?? { target, current: undefined, old: new Set<VersionPool>() };
      pools.target = target;
      this.byFunction.set(key, pools);
      if (pools.current && pools.current.fn.version !== target.fn.version) {
        pools.current.drain(`version ${target.fn.version} deployed`);
        pools.old.add(pools.current);
        pools.current = undefined;
      }
      pools.current ??= new VersionPool(target.fn, target.settings, this, this.options);
      pools.current.settings = target.settings;
    }
    for (const [key, pools] of this.byFunction) {
      if (wanted.has(key) || !pools.target) continue;
      pools.target = undefined;
      if (pools.current) {
        pools.current.drain('the function is no longer warm');
        pools.old.add(pools.current);
        pools.current = undefined;
      }
    }
    this.kick();
  }

  /** Runs a reconcile pass now, or once more after the one under way. */
  kick(): void {
    if (this.closed) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass()
      .catch((thrown) => this.options.logger.warn({ err: asError(thrown) }, 'reconciling warm pools failed; retried on the next pass'))
      .finally(() => {
        this.passing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    const { api, deployment } = this.options;
    const selector = `${labels.managedBy}=${managedByValue},${labels.controller}=${labelValue(deployment.controllerId)},${poolLabels.pool}`;
    const listed = await api.get<KubeList<Deployment>>('/apis/apps/v1/deployments', { labelSelector: selector });
    const byName = new Map(listed.items.map((item) => [`${item.metadata?.namespace}/${item.metadata?.name}`, item]));
    const known = new Set<string>();
    for (const [key, pools] of this.byFunction) {
      for (const pool of [pools.current, ...pools.old]) {
        if (!pool) continue;
        const name = `${pool.fn.namespace}/${pool.name}`;
        known.add(name);
        pool.observed = byName.get(name);
      }
      try {
        await this.reconcileFunction(pools);
      } catch (thrown) {
        this.options.logger.warn({ err: asError(thrown), function: key }, 'reconciling a warm pool failed; retried on the next pass');
      }
      if (!pools.target && !pools.current && pools.old.size === 0) this.byFunction.delete(key);
    }
    // Left by an earlier run of this controller (a version deployed, or the function made cold, meanwhile).
    for (const [name, item] of byName) {
      if (known.has(name) || !item.metadata?.namespace || !item.metadata.name) continue;
      await api.delete(`${deploymentsPath(item.metadata.namespace)}/${item.metadata.name}`);
      await api.delete(`${secretsPath(item.metadata.namespace)}/${item.metadata.name}`);
    }
  }

  private async reconcileFunction(pools: FunctionPools): Promise<void> {
    const { api } = this.options;
    for (const pool of pools.old) {
      if (!pool.isDrained()) continue;
      await api.delete(`${deploymentsPath(pool.fn.namespace)}/${pool.name}`);
      await api.delete(`${secretsPath(pool.fn.namespace)}/${pool.name}`);
      await pool.close();
      pools.old.delete(pool);
      this.options.logger.info({ function: keyOf(pool.fn), deployment: pool.name }, 'drained replica Deployment deleted');
    }
    const { current, target } = pools;
    if (!current || !target) return;
    const owner = await this.ownerOf(target.fn);
    // No Function resource (yet): nothing to own the Deployment, so the executions run as Jobs meanwhile.
    if (!owner) return;
    await current.apply(target.desired, owner);
  }

  private async ownerOf(fn: FunctionRef): Promise<PoolOwner | undefined> {
    try {
      const object = await this.options.api.get<KubeObject>(`${functionsPath(fn.namespace)}/${fn.name}`);
      return object.metadata?.uid && !object.metadata.deletionTimestamp ? { uid: object.metadata.uid } : undefined;
    } catch (thrown) {
      if (isKubeStatus(thrown, 404)) return undefined;
      throw thrown;
    }
  }

  served(): FunctionRef[] {
    return [...this.byFunction.values()].flatMap((pools) => (pools.current?.deployed && !pools.current.startFailure ? [pools.current.fn] : []));
  }

  wake(): void {
    for (const pools of this.byFunction.values()) pools.current?.work.fire();
  }

  freed(): void {
    for (const pools of this.byFunction.values()) if (pools.current?.endpoint?.limitsMayHoldBack) pools.current.work.fire();
  }

  waiting(fn: FunctionRef, max: number): WaitingReplica | undefined {
    return this.byFunction.get(keyOf(fn))?.current?.waiting(max);
  }

  status(): PoolStatus[] {
    const statuses: PoolStatus[] = [];
    for (const pools of this.byFunction.values()) {
      if (!pools.target || !pools.current) continue;
      const counts = pools.current.status();
      for (const old of pools.old) {
        const draining = old.status();
        counts.draining += draining.draining;
        counts.inFlight += draining.inFlight;
      }
      const { fn, desired } = pools.target;
      statuses.push({ namespace: fn.namespace, name: fn.name, version: fn.version, desired, ...counts });
    }
    return statuses;
  }

  /** The pool holding this attempt in flight, if any. */
  holding(ref: AttemptRef): Replica | undefined {
    for (const pools of this.byFunction.values()) {
      for (const pool of [pools.current, ...pools.old]) if (pool?.endpoint?.holds(ref)) return pool.endpoint;
    }
    return undefined;
  }

  running(): AttemptRef[] {
    return [...this.byFunction.values()].flatMap((pools) => [pools.current, ...pools.old].flatMap((pool) => pool?.endpoint?.running() ?? []));
  }

  /**
   * Stops serving (the controller is stopping): endpoints close, and their invocations in flight
   * are the engine's to settle. Deployments stay, so that a restarted controller finds its pods.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.passing;
    const pools = [...this.byFunction.values()].flatMap((entry) => [entry.current, ...entry.old]);
    this.byFunction.clear();
    await Promise.all(pools.map((pool) => pool?.close()));
  }
}
