import { pino, type Logger } from 'pino';
import { asError } from '../../domain/errors.js';
import { byteLimit, deliverToSink } from '../attempt-helpers.js';
import { isKubeStatus, type KubeApi } from '../../kubernetes/kube-api.js';
import { WatchedObjects } from '../../kubernetes/watched-objects.js';
import type { Adoption, AdoptedAttempt, AttemptRef, ClaimedAttempt, OrphanedAttempt } from '../../store/store.js';
import type { AttemptSink, Executor, StopReason } from '../executor.js';
import { RuntimeApi } from '../warm/runtime-api.js';
import { KubernetesPools } from './replica-pools.js';
import { judgeAttempt } from './attempt-report.js';
import { AttemptTokens } from './attempt-token.js';
import { attemptJob, type JobSettings } from './job-manifest.js';
import { leaseOwnerOf, refOf, tokenOf } from './job-identity.js';
import { controllerSelector, jobName } from './labels.js';
import { ObserverEndpoint, type ObserverReport } from './observer-endpoint.js';
import { podCode, runtimeImages, type RuntimeImages } from './package-fetch.js';
import { PodLogFollower } from './pod-logs.js';
import { deletedPodEnd, functionState, jobEnd, jobFinished, podEnd, podFinished, type Job, type Pod, type PodEnd } from './pod-status.js';

/** What a Kubernetes executor is made with. */
export interface KubernetesExecutorOptions {
  sink: AttemptSink;
  api: KubeApi;
  /** Stable across restarts of the same controller (its pod name): labels its Jobs, which it adopts after a restart. */
  controllerId: string;
  /**
   * The controller's own pod, when it runs in one. On shutdown its attempts are left running for
   * the restarted controller to adopt unless this pod is being deleted: a pod of another name
   * follows then, which adopts nothing, so the attempts are stopped and retried at once.
   */
  self?: { namespace: string; name: string };
  /** Image of the observer containers. */
  observerImage: string;
  /** Secret under which attempt tokens are issued; shared by the replicas of one deployment. */
  tokenSecret: string;
  /** Where the observer endpoint listens (port 0 picks one) and the URL pods reach it at. */
  observerListen: { host: string; port: number };
  /** Base URL pods use for the observer endpoint; default http://<host>:<port> of the listener. */
  observerUrl?: string;
  graceMs: number;
  logLimitBytes: number;
  resultLimitBytes: number;
  /** Seconds a finished Job stays before Kubernetes collects it. Default 600. */
  ttlSecondsAfterFinished?: number;
  /** How long after the function's container ended the observer's report is awaited. Default 15s. */
  observerWaitMs?: number;
  /** Milliseconds between the in-pod observer's heartbeats. Default 5000. */
  heartbeatMs?: number;
  /**
   * Port of the runtime API warm replicas' pods call (docs/warm-replicas.md), on the observer
   * endpoint's address and host name; 0 picks one. Default: the observer port plus one (0 with 0).
   */
  runtimeApiPort?: number;
  /** The runtime image of each language, for functions with a package and no image; default runtimeImages(). */
  runtimeImages?: RuntimeImages;
  /** Reads an uploaded package's archive from the store, for the pods that fetch it. */
  readPackage?: (sha256: string) => Promise<Buffer | undefined>;
  /** PONTOON_REPLICA_LANES of each warm replica's pod unless its function's env sets it; unset leaves the SDK's default. */
  replicaLanes?: number;
  /** Where the executor reports what goes wrong outside any attempt (warm pools' reconciling). */
  logger?: Logger;
  now?: () => Date;
}

/** One attempt this executor runs, from start() until its report is sent. */
interface PodAttempt {
  ref: AttemptRef;
  claimed: ClaimedAttempt;
  namespace: string;
  jobName: string;
  logs: PodLogFollower;
  podName?: string;
  podDone: boolean;
  end?: PodEnd;
  endSeenAt?: number;
  observer?: ObserverReport;
  lastHeartbeat?: number;
  finalizing: boolean;
  recheck?: NodeJS.Timeout;
}

const keyOf = (ref: AttemptRef) => `${ref.executionId}#${ref.attempt}`;

/**
 * The executor port on Kubernetes: each on-demand attempt is a batch/v1 Job (see job-manifest.ts)
 * whose pod runs the user's image beside Pontoon's observer. Jobs and pods are watched with
 * informers (a list, then a watch; a re-list when the watch expires), never polled. An attempt
 * ends when its pod or Job says so (exit, deadline, OOMKilled, image pull error, eviction, node
 * loss); its log is followed while it runs, and the observer's report supplies the result.
 * Jobs outlive their controller: a restarted controller adopts the attempts its previous run left
 * running (findOrphans, adopt) instead of counting them lost, and a controller stopping for a
 * restart leaves them running (detach).
 *
 * Warm functions' executions go to `pools` instead (replica-pools.ts): a Deployment per function
 * version whose pods speak the replica protocol to the runtime API, bound beside the observer
 * endpoint; the engine routes them there, so start() sees only on-demand attempts.
 */
export class KubernetesExecutor implements Executor {
  readonly kind = 'kubernetes';
  private readonly attempts = new Map<string, PodAttempt>();
  private readonly tokens: AttemptTokens;
  private readonly endpoint: ObserverEndpoint;
  private readonly jobs: WatchedObjects<Job>;
  private readonly pods: WatchedObjects<Pod>;
  private readonly now: () => Date;
  private settings!: JobSettings;
  private closed = false;
  private readonly runtimeApi: RuntimeApi;
  /** Warm functions' pools: a Deployment per function version, sized through its scale subresource. */
  readonly pools: KubernetesPools;

  private constructor(private readonly options: KubernetesExecutorOptions) {
    this.now = options.now ?? (() => new Date());
    const logger = options.logger ?? pino({ level: 'silent' });
    this.runtimeApi = new RuntimeApi((error) => logger.error({ err: error }, 'runtime API request failed'));
    this.pools = new KubernetesPools({
      api: options.api,
      runtimeApi: this.runtimeApi,
      // Filled in by create() once the runtime API listens.
      deployment: {
        runtimeApi: '',
        controllerId: options.controllerId,
        graceSeconds: Math.max(1, Math.ceil(options.graceMs / 1000)),
        observerImage: options.observerImage,
        runtimeImages: options.runtimeImages ?? runtimeImages(),
        replicaLanes: options.replicaLanes,
      },
      readPackage: options.readPackage,
      logger,
      graceMs: options.graceMs,
      logLimitBytes: (fn) => byteLimit(fn.document.spec.limits?.logs, options.logLimitBytes),
      resultLimitBytes: (fn) => byteLimit(fn.document.spec.limits?.result, options.resultLimitBytes),
      runCold: (claimed) => {
        this.start(claimed).catch((thrown) => {
          const ref = { executionId: claimed.execution.id, attempt: claimed.attempt };
          deliverToSink(() => options.sink.finished(ref, { status: 'failed', exitCode: null, reason: 'StartFailed', error: asError(thrown).message, result: null }));
        });
      },
    });
    this.tokens = new AttemptTokens(options.tokenSecret);
    this.endpoint = new ObserverEndpoint(this.tokens, {
      input: (ref) => {
        const attempt = this.attempts.get(keyOf(ref));
        return attempt ? (attempt.claimed.execution.input ?? null) : undefined;
      },
      heartbeat: (ref) => {
        const attempt = this.attempts.get(keyOf(ref));
        if (attempt) attempt.lastHeartbeat = Date.now();
        return attempt !== undefined;
      },
      package: async (ref, sha256) => {
        const attempt = this.attempts.get(keyOf(ref));
        if (!attempt) return 'gone';
        // An attempt's token fetches its own function's package only.
        if (attempt.claimed.function.document.spec.package?.sha256 !== sha256) return 'not-this-attempt';
        return (await options.readPackage?.(sha256)) ?? 'not-stored';
      },
      report: (ref, report) => {
        const attempt = this.attempts.get(keyOf(ref));
        if (!attempt) return false;
        attempt.observer = report;
        this.advance(attempt);
        return true;
      },
    });
    const selector = controllerSelector(options.controllerId);
    const warn = (what: string) => (error: Error) => process.emitWarning(`${what} watch failed, restarting: ${error.message}`);
    this.jobs = new WatchedObjects<Job>(options.api, '/apis/batch/v1/jobs', { changed: (job) => this.onJob(job), deleted: (job) => this.onJobDeleted(job), failed: warn('Job') }, selector);
    this.pods = new WatchedObjects<Pod>(options.api, '/api/v1/pods', { changed: (pod) => this.onPod(pod), deleted: (pod) => this.onPodDeleted(pod), failed: warn('pod') }, selector);
  }

  /**
   * Starts the observer endpoint and the watches. The unfinished Jobs a previous run of this
   * controller left behind are found by findOrphans() and adopted by the engine before it claims.
   */
  static async create(options: KubernetesExecutorOptions): Promise<KubernetesExecutor> {
    const executor = new KubernetesExecutor(options);
    const port = await executor.endpoint.listen(options.observerListen.port, options.observerListen.host);
    const runtimePort = options.runtimeApiPort ?? (options.observerListen.port === 0 ? 0 : options.observerListen.port + 1);
    const bound = await executor.runtimeApi.listen(options.observerListen.host, runtimePort);
    // Pods reach the runtime API under the host name they reach the observer endpoint at.
    const runtimeHost = options.observerUrl ? new URL(options.observerUrl).hostname : options.observerListen.host;
    executor.pools.setRuntimeApi(`${runtimeHost}:${bound.slice(bound.lastIndexOf(':') + 1)}`);
    executor.settings = {
      observerImage: options.observerImage,
      controllerUrl: options.observerUrl ?? `http://${options.observerListen.host}:${port}`,
      controllerId: options.controllerId,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 600,
      graceSeconds: Math.max(1, Math.ceil(options.graceMs / 1000)),
      resultLimitBytes: options.resultLimitBytes,
      heartbeatMs: options.heartbeatMs ?? 5000,
      inlineInputLimitBytes: 128 * 1024,
      runtimeImages: options.runtimeImages ?? runtimeImages(),
    };
    try {
      await Promise.all([executor.jobs.start(), executor.pods.start()]);
    } catch (thrown) {
      await executor.close();
      throw asError(thrown);
    }
    return executor;
  }

  /** URL of the observer endpoint as pods are told it. */
  get observerUrl(): string {
    return this.settings.controllerUrl;
  }

  /** Creates the attempt's Job; resolves once the API server has it. */
  async start(claimed: ClaimedAttempt): Promise<void> {
    if (this.closed) throw new Error('the kubernetes executor is closed');
    const spec = claimed.function.document.spec;
    // Throws, before anything is tracked, for a function that has no way into a pod.
    podCode(spec, this.settings.runtimeImages, `${claimed.function.namespace}/${claimed.function.name}`);
    const ref: AttemptRef = { executionId: claimed.execution.id, attempt: claimed.attempt };
    const key = keyOf(ref);
    if (this.attempts.has(key)) throw new Error(`attempt ${ref.attempt} of execution ${ref.executionId} is already running`);
    const namespace = claimed.function.namespace;
    // Registered before the create: the watch may deliver the pod before the create answers.
    const attempt = this.track(claimed, 0);
    const job = attemptJob(claimed, this.tokens.issue(ref), this.settings, this.now());
    try {
      await this.options.api.create(`/apis/batch/v1/namespaces/${namespace}/jobs`, job);
    } catch (thrown) {
      // A Job of this very attempt already exists: an earlier create got through.
      if (isKubeStatus(thrown, 409)) return;
      this.attempts.delete(key);
      throw new Error(`cannot create Job ${namespace}/${job.metadata.name}: ${asError(thrown).message}`);
    }
    // Stopped while the create was on its way: stop()'s delete may have come first.
    if (this.attempts.get(key) !== attempt) await this.options.api.delete(`/apis/batch/v1/namespaces/${namespace}/jobs/${attempt.jobName}`);
  }

  /** Follows one attempt from now on: its Job's and pod's events, its log, its observer's calls. */
  private track(claimed: ClaimedAttempt, loggedLines: number): PodAttempt {
    const ref: AttemptRef = { executionId: claimed.execution.id, attempt: claimed.attempt };
    const namespace = claimed.function.namespace;
    const attempt: PodAttempt = {
      ref,
      claimed,
      namespace,
      jobName: jobName(ref.executionId, ref.attempt),
      logs: new PodLogFollower({
        api: this.options.api,
        namespace,
        limitBytes: byteLimit(claimed.function.document.spec.limits?.logs, this.options.logLimitBytes),
        onLines: (lines) => deliverToSink(() => this.options.sink.logs(ref, lines)),
        skipLines: loggedLines,
      }),
      podDone: false,
      finalizing: false,
    };
    this.attempts.set(keyOf(ref), attempt);
    return attempt;
  }

  /**
   * The unfinished Jobs of this controller (by its label) that it did not start: a previous run's,
   * each with the lease owner it was started for. A Job that names no owner (made before owners
   * were recorded) cannot be adopted and is deleted; its attempt is lost when its lease runs out.
   */
  async findOrphans(): Promise<OrphanedAttempt[]> {
    const orphans: OrphanedAttempt[] = [];
    for (const job of this.jobs.list()) {
      const name = job.metadata?.name;
      if (!name || jobFinished(job) || job.metadata?.deletionTimestamp || this.attemptOf(job)) continue;
      const ref = refOf(job);
      const owner = leaseOwnerOf(job);
      if (ref && owner) orphans.push({ ...ref, owner });
      else await this.deleteJob(job.metadata?.namespace ?? '', name);
    }
    return orphans;
  }

  /**
   * Takes up the attempts whose leases the engine adopted: each is tracked as if started here,
   * its Job's own token is accepted from its observer (the previous run may have had another
   * secret), its log is read on past the lines already stored, and what happened to its Job and
   * pod while no controller watched is caught up on from the watch caches. The Jobs of attempts
   * that are over (settled, or counted lost when their lease expired) are deleted.
   */
  async adopt({ adopted, over }: Adoption): Promise<void> {
    const jobs = new Map<string, Job>();
    for (const job of this.jobs.list()) {
      const ref = refOf(job);
      if (ref) jobs.set(keyOf(ref), job);
    }
    for (const claimed of adopted) this.resume(claimed, jobs.get(keyOf({ executionId: claimed.execution.id, attempt: claimed.attempt })));
    for (const ref of over) {
      const job = jobs.get(keyOf(ref));
      if (job?.metadata?.name) await this.deleteJob(job.metadata.namespace ?? '', job.metadata.name);
    }
  }

  private resume(claimed: AdoptedAttempt, job: Job | undefined): void {
    const attempt = this.track(claimed, claimed.loggedLines);
    const token = job && tokenOf(job);
    if (token) this.tokens.adopt(attempt.ref, token);
    // Deleted while no controller watched: whatever its program did is gone with it.
    if (!job) return this.vanished(attempt);
    for (const pod of this.pods.list()) if (this.attemptOf(pod) === attempt) this.onPod(pod);
    this.onJob(job);
  }

  /**
   * Lets go of the running attempts, leaving their Jobs to run on, for the restarted controller
   * to adopt (see create). When this controller's pod is being deleted, no restart in place
   * follows: nothing is let go of, and close() stops them.
   */
  async detach(): Promise<AttemptRef[]> {
    if (await this.leaving()) return [];
    await this.closePools();
    // Observers' calls fail from now on and are retried, reaching the restarted controller: a
    // report answered here would be answered 410 (not running here), and never sent again.
    await this.endpoint.close();
    const detached = [...this.attempts.values()].filter((attempt) => !attempt.finalizing);
    for (const attempt of detached) {
      // Not flushed: lines not stored yet are read again by the adopter, which skips those stored.
      attempt.logs.cancel();
      this.forget(attempt);
    }
    return detached.map((attempt) => attempt.ref);
  }

  /** True when this controller's pod is being deleted (or is gone). */
  private async leaving(): Promise<boolean> {
    const self = this.options.self;
    if (!self) return false;
    try {
      const pod = await this.options.api.get<Pod>(`/api/v1/namespaces/${self.namespace}/pods/${self.name}`);
      return Boolean(pod.metadata?.deletionTimestamp);
    } catch (thrown) {
      // Unsure: leave the Jobs running. At worst they are lost when their leases run out.
      return isKubeStatus(thrown, 404);
    }
  }

  private async deleteJob(namespace: string, name: string): Promise<void> {
    await this.options.api.delete(`/apis/batch/v1/namespaces/${namespace}/jobs/${name}`).catch((thrown) => {
      process.emitWarning(`cannot delete Job ${namespace}/${name}: ${asError(thrown).message}`);
    });
  }

  /** Deletes the attempt's Job (and so its pod); the attempt reports nothing. */
  async stop(ref: AttemptRef, _reason: StopReason): Promise<void> {
    // A replica cannot be told to drop one invocation: its outcome will be fenced.
    const replica = this.pools.holding(ref);
    if (replica) return replica.abandon(ref);
    const attempt = this.attempts.get(keyOf(ref));
    if (!attempt) return;
    this.forget(attempt);
    attempt.logs.cancel();
    await this.options.api.delete(`/apis/batch/v1/namespaces/${attempt.namespace}/jobs/${attempt.jobName}`);
  }

  running(): AttemptRef[] {
    return [...this.attempts.values()].map((attempt) => attempt.ref).concat(this.pools.running());
  }

  /** Stops serving warm replicas; their Deployments stay for the restarted controller. */
  private async closePools(): Promise<void> {
    await this.pools.close();
    await this.runtimeApi.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.closePools();
    const stopping = [...this.attempts.values()].map((attempt) =>
      this.stop(attempt.ref, 'shutdown').catch((thrown) => process.emitWarning(`cannot delete Job ${attempt.jobName}: ${asError(thrown).message}`)),
    );
    await Promise.all(stopping);
    await Promise.all([this.jobs.stop(), this.pods.stop(), this.endpoint.close()]);
    // Last user of the connection: the reconciler and the leader election stop before the engine closes us.
    this.options.api.close();
  }

  private attemptOf(object: Job | Pod): PodAttempt | undefined {
    const ref = refOf(object);
    return ref && this.attempts.get(keyOf(ref));
  }

  private onPod(pod: Pod): void {
    const attempt = this.attemptOf(pod);
    if (!attempt || attempt.finalizing) return;
    attempt.podName = pod.metadata?.name;
    const state = functionState(pod);
    if (attempt.podName && (state?.running || state?.terminated)) attempt.logs.follow(attempt.podName);
    attempt.podDone = podFinished(pod);
    this.noteEnd(attempt, podEnd(pod));
    this.advance(attempt);
  }

  private onPodDeleted(pod: Pod): void {
    const attempt = this.attemptOf(pod);
    if (!attempt || attempt.finalizing) return;
    attempt.podDone = true;
    if (attempt.end) return this.advance(attempt);
    // A Job past its deadline deletes its pod, and the Job's condition may arrive just after.
    setTimeout(() => {
      if (attempt.finalizing || !this.attempts.has(keyOf(attempt.ref))) return;
      this.noteEnd(attempt, deletedPodEnd(pod));
      this.advance(attempt);
    }, 2000).unref();
  }

  private onJob(job: Job): void {
    const attempt = this.attemptOf(job);
    if (!attempt || attempt.finalizing) return;
    const end = jobEnd(job);
    // The Job's deadline explains a container stopped by it better than its exit code does.
    if (end?.kind === 'deadline') attempt.end = undefined;
    this.noteEnd(attempt, end);
    this.advance(attempt);
  }

  private onJobDeleted(job: Job): void {
    const attempt = this.attemptOf(job);
    if (!attempt || attempt.finalizing) return;
    this.vanished(attempt);
  }

  private vanished(attempt: PodAttempt): void {
    this.noteEnd(attempt, { kind: 'vanished', message: 'the attempt’s Job was deleted before its program ended' });
    attempt.podDone = true;
    this.advance(attempt);
  }

  private noteEnd(attempt: PodAttempt, end: PodEnd | undefined): void {
    if (!end || attempt.end) return;
    attempt.end = end;
    attempt.endSeenAt = Date.now();
  }

  /**
   * Reports the attempt once its end is known and, for a program that exited, the observer's
   * report has arrived (or the pod is finished, or the wait ran out). Logs come first, so they are
   * stored before the report settles the attempt.
   */
  private advance(attempt: PodAttempt): void {
    const end = attempt.end;
    if (!end || attempt.finalizing) return;
    if (end.kind === 'exited' && !attempt.observer && !attempt.podDone) {
      const waitMs = this.options.observerWaitMs ?? 15_000;
      const left = (attempt.endSeenAt ?? Date.now()) + waitMs - Date.now();
      if (left > 0) {
        clearTimeout(attempt.recheck);
        attempt.recheck = setTimeout(() => this.advance(attempt), left + 10);
        attempt.recheck.unref();
        return;
      }
    }
    attempt.finalizing = true;
    clearTimeout(attempt.recheck);
    void this.finalize(attempt, end);
  }

  private async finalize(attempt: PodAttempt, end: PodEnd): Promise<void> {
    const spec = attempt.claimed.function.document.spec;
    if (end.kind === 'image' || end.kind === 'config' || end.kind === 'vanished' || end.kind === 'node-lost') attempt.logs.system(`[pontoon] ${end.message}`);
    await attempt.logs.finish(5000);
    if (!this.attempts.has(keyOf(attempt.ref))) return; // stopped meanwhile
    const report = judgeAttempt({
      end,
      observer: attempt.observer,
      timeout: spec.timeout,
      memory: spec.resources?.memory,
      image: spec.image,
      resultLimitBytes: byteLimit(spec.limits?.result, this.options.resultLimitBytes),
      lastLine: attempt.logs.lastLine,
    });
    this.forget(attempt);
    deliverToSink(() => this.options.sink.finished(attempt.ref, report));
    // A pod that cannot pull its image or find its Secret would wait forever: its Job goes now.
    // Others stay for their TTL, so that `kubectl describe` still shows them.
    if (end.kind === 'image' || end.kind === 'config') {
      await this.options.api.delete(`/apis/batch/v1/namespaces/${attempt.namespace}/jobs/${attempt.jobName}`).catch((thrown) => {
        process.emitWarning(`cannot delete Job ${attempt.jobName}: ${asError(thrown).message}`);
      });
    }
  }

  private forget(attempt: PodAttempt): void {
    clearTimeout(attempt.recheck);
    if (this.attempts.get(keyOf(attempt.ref)) !== attempt) return;
    this.attempts.delete(keyOf(attempt.ref));
    this.tokens.forget(attempt.ref);
  }
}
