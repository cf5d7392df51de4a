import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { asError } from '../domain/errors.js';
import type { FunctionDocument, FunctionVersion } from '../domain/function-spec.js';
import { validateFunctionDocument } from '../domain/validate-spec.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { Leadership } from '../engine/leader.js';
import type { AttemptSink } from '../executors/executor.js';
import { KubernetesExecutor } from '../executors/kubernetes/kubernetes-executor.js';
import { runtimeImages } from '../executors/kubernetes/package-fetch.js';
import type { Store } from '../store/store.js';
import { FunctionReconciler } from './function-reconciler.js';
import { KubeApi, loadKubeConfig } from './kube-api.js';
import { LeaseLeadership } from './leader-lease.js';

/** How `pontoon up --executor kubernetes` talks to its cluster; every field has a default. */
export interface KubernetesModeOptions {
  /** Kubeconfig file; default: in-cluster service account, else KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Image of the in-pod observer. */
  observerImage?: string;
  /**
   * Registry prefix of the runtime images (`<prefix>/pontoon-runtime-<language>:<version>`) that run
   * functions with an uploaded package and no image; default ghcr.io/pontoon-dev.
   */
  runtimeImagePrefix?: string;
  /** Address and port the observer endpoint binds (default 127.0.0.1:7071; 0.0.0.0 in a cluster). */
  observerHost?: string;
  observerPort?: number;
  /** URL pods reach the observer endpoint at (default http://host:port of the binding). */
  observerUrl?: string;
  /** Port of the runtime API warm replicas' pods call, on the observer's address (default observerPort + 1; 0 picks one). */
  runtimeApiPort?: number;
  /** Stable name of this controller (its pod name); default the host name. */
  controllerId?: string;
  /** Secret of attempt tokens, shared by replicas; default PONTOON_ATTEMPT_SECRET or a random one. */
  tokenSecret?: string;
  /** Elect a leader with a coordination.k8s.io Lease (for several replicas on PostgreSQL). */
  leaderElection?: boolean;
  /** Namespace of the leader Lease; default POD_NAMESPACE or `default`. */
  leaseNamespace?: string;
  /** Lease duration of the leader election (ms). Default 15000. */
  leaderLeaseMs?: number;
  /** Install the Function CRD at start (needs the RBAC to). Default true. */
  installCrd?: boolean;
  /** Seconds a finished Job is kept. Default 600. */
  ttlSecondsAfterFinished?: number;
  /** Reconcile every Function this often even without a change (ms). Default 10000. */
  resyncMs?: number;
}

/** Default image of the observer (deploy/docker/observer.Dockerfile). */
export const defaultObserverImage = 'ghcr.io/pontoon-dev/pontoon-observer:0.1.0';

/** The Kubernetes parts of a running controller. */
export interface KubernetesMode {
  api: KubeApi;
  executor: KubernetesExecutor;
  /** The Lease leadership when leader election is on. */
  leadership?: Leadership;
  /** Starts reconciling Function resources into the registry; call once the engine runs. */
  startReconciler(store: Store, engine: Engine): Promise<void>;
  /**
   * The store as the HTTP API should see it: deleting a function there also deletes its Function
   * resource, so that the resources stay the one source of truth.
   */
  apiStore(store: Store): Store;
  /** Stops the reconciler (the engine closes the executor, which closes the connections last). */
  close(): Promise<void>;
}

/** What the rest of the controller gives the Kubernetes parts. */
export interface KubernetesModeContext {
  sink: AttemptSink;
  logger: Logger;
  graceMs: number;
  logLimitBytes: number;
  resultLimitBytes: number;
  /** Reads an uploaded package from the store, for the pods that fetch it. */
  readPackage?: (sha256: string) => Promise<Buffer | undefined>;
  /** Lanes of each warm replica unless its function's env sets them (see KubernetesExecutorOptions). */
  replicaLanes?: number;
}

/** Connects to the cluster and starts the executor (and the leader election when asked). */
export async function openKubernetesMode(options: KubernetesModeOptions, context: KubernetesModeContext): Promise<KubernetesMode> {
  const api = new KubeApi(loadKubeConfig(options.kubeconfig));
  const controllerId = options.controllerId ?? process.env.POD_NAME ?? hostname();
  const { POD_NAME, POD_NAMESPACE } = process.env;
  // In a pod (the Helm chart sets both), the controller can tell a restart in place from its pod's deletion.
  const self = POD_NAME && POD_NAMESPACE && controllerId === POD_NAME ? { namespace: POD_NAMESPACE, name: POD_NAME } : undefined;
  const executor = await KubernetesExecutor.create({
    sink: context.sink,
    api,
    controllerId,
    self,
    observerImage: options.observerImage ?? defaultObserverImage,
    tokenSecret: options.tokenSecret ?? process.env.PONTOON_ATTEMPT_SECRET ?? randomBytes(24).toString('base64url'),
    observerListen: { host: options.observerHost ?? '127.0.0.1', port: options.observerPort ?? 7071 },
    observerUrl: options.observerUrl,
    runtimeApiPort: options.runtimeApiPort,
    logger: context.logger,
    graceMs: context.graceMs,
    logLimitBytes: context.logLimitBytes,
    resultLimitBytes: context.resultLimitBytes,
    ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
    runtimeImages: runtimeImages(options.runtimeImagePrefix),
    readPackage: context.readPackage,
    replicaLanes: context.replicaLanes,
  });
  const leadership = options.leaderElection
    ? new LeaseLeadership({
        api,
        namespace: options.leaseNamespace ?? process.env.POD_NAMESPACE ?? 'default',
        name: 'pontoon-controller',
        identity: controllerId,
        leaseDurationMs: options.leaderLeaseMs,
        retryMs: options.leaderLeaseMs ? Math.max(200, Math.floor(options.leaderLeaseMs / 5)) : undefined,
        onError: (error) => context.logger.warn({ err: error }, 'leader Lease renewal failed'),
      })
    : undefined;
  leadership?.onChange((leading) => context.logger.info({ controllerId }, leading ? 'this controller holds the leader Lease' : 'this controller no longer holds the leader Lease'));
  let reconciler: FunctionReconciler | undefined;
  return {
    api,
    executor,
    leadership,
    async startReconciler(store, engine) {
      reconciler = new FunctionReconciler({
        api,
        store,
        deployer: engine,
        logger: context.logger,
        installCrd: options.installCrd,
        resyncMs: options.resyncMs,
        isLeader: () => engine.isLeader(),
      });
      if (engine instanceof MirroringEngine) engine.resources = reconciler;
      await reconciler.start();
    },
    apiStore(store) {
      return new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'deleteFunction') {
            return async (namespace: string, name: string) => {
              const deleted = await target.deleteFunction(namespace, name);
              if (deleted) await reconciler?.deleted(namespace, name);
              return deleted;
            };
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    async close() {
      await reconciler?.stop().catch((thrown) => context.logger.warn({ err: asError(thrown) }, 'stopping the reconciler failed'));
    },
  };
}

/** Where a controller on Kubernetes keeps the Function resources of its deploys (the reconciler). */
export interface FunctionResources {
  /** Throws INVALID_SPEC when the API server would refuse the document's resource. */
  admit(document: FunctionDocument): Promise<void>;
  /** Writes the resource of a version just stored. */
  publish(deployed: { fn: FunctionVersion; created: boolean }): Promise<void>;
}

/**
 * The engine of a controller on Kubernetes: a deploy through Pontoon's API is also written as the
 * Function resource, so the resources stay the one source of truth. The API server is asked
 * first (a dry run), so that a resource it refuses leaves nothing stored: the version used to be
 * stored first, and then failed every invoke while the resync retried the write forever.
 */
export class MirroringEngine extends Engine {
  /** Set once the reconciler runs. */
  resources: FunctionResources | undefined;

  constructor(options: EngineOptions) {
    super(options);
  }

  override async deploy(input: unknown): Promise<{ fn: FunctionVersion; created: boolean }> {
    const resources = this.resources;
    if (resources) await resources.admit(validateFunctionDocument(input));
    const deployed = await super.deploy(input);
    await resources?.publish(deployed);
    return deployed;
  }
}
