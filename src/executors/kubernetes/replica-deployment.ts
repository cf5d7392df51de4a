import { createHash } from 'node:crypto';
import type { FunctionVersion } from '../../domain/function-spec.js';
import { replicaLanes, type WarmSettings } from '../../domain/warm.js';
import type { KubeObject } from '../../kubernetes/kube-api.js';
import { functionResource } from '../../kubernetes/function-crd.js';
import { replicaEnv, replicaProtocolVersion } from '../warm/protocol.js';
import { containerResources, secretEnv } from './job-manifest.js';
import { annotations, labels, labelValue, managedByValue } from './labels.js';
import { podSecurity, scratchVolume } from './pod-security.js';
import { launcherEnv, packageInitContainer, podCode, type RuntimeImages } from './package-fetch.js';
import { podLayout } from './pod-layout.js';

/** Labels of a warm pool's Deployment and pods, beside those of labels.ts. */
export const poolLabels = {
  /** Marks a warm pool's Deployment, Secret and pods (value: the function's name as a label). */
  pool: 'pontoon.dev/warm-pool',
  /** The function version the pool's replicas serve: part of the selector, so versions never share pods. */
  version: 'pontoon.dev/function-version',
} as const;

/** Annotation of a pool's Deployment: the hash of the pod template Pontoon wants, to tell when it changed. */
export const templateHashAnnotation = 'pontoon.dev/template-hash';
/** Pod template annotation bumped to replace every pod (a replica stopped past an invocation's deadline). */
export const restartedAtAnnotation = 'pontoon.dev/restarted-at';
/** Key of the replica token in a pool's Secret. */
export const tokenKey = 'token';

/** Where the replicas of every pool reach the controller. */
export interface ReplicaDeploymentSettings {
  /** host:port of the runtime API as pods reach it (PONTOON_RUNTIME_API). */
  runtimeApi: string;
  controllerId: string;
  /** Seconds between TERM and KILL of a replica's pod. */
  graceSeconds: number;
  /** Image of the init container that fetches a package (the observer's). */
  observerImage: string;
  /** The runtime image of each language, for functions with a package and no image. */
  runtimeImages: RuntimeImages;
  /** PONTOON_REPLICA_LANES of the replicas whose function's env does not set it; unset leaves the SDK's default. */
  replicaLanes?: number;
}

/** The owner every object of a pool has: its Function resource, so deleting it collects them. */
export interface PoolOwner {
  uid: string;
}

/** A pool's Deployment (and Secret) name: one per function version. */
export function poolObjectName(fn: Pick<FunctionVersion, 'name' | 'version'>): string {
  return `pontoon-warm-${fn.name}-v${fn.version}`;
}

function ownerReferences(fn: FunctionVersion, owner: PoolOwner) {
  return [{ apiVersion: `${functionResource.group}/${functionResource.version}`, kind: 'Function', name: fn.name, uid: owner.uid, blockOwnerDeletion: true }];
}

function poolObjectLabels(fn: FunctionVersion, controllerId: string): Record<string, string> {
  return {
    [labels.managedBy]: managedByValue,
    [labels.function]: labelValue(fn.name),
    [labels.controller]: labelValue(controllerId),
    [poolLabels.pool]: labelValue(fn.name),
    [poolLabels.version]: String(fn.version),
  };
}

/**
 * The Secret holding the token of one pool's replicas. One token per Deployment, not per replica:
 * a Deployment's pods share one template, so they cannot be told apart by a secret of their own
 * without Pontoon creating each pod itself.
 */
export function replicaSecret(fn: FunctionVersion, owner: PoolOwner, token: string, controllerId: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: poolObjectName(fn), namespace: fn.namespace, labels: poolObjectLabels(fn, controllerId), ownerReferences: ownerReferences(fn, owner) },
    type: 'Opaque',
    stringData: { [tokenKey]: token },
  };
}

/**
 * The apps/v1 Deployment of one function version's warm replicas: the function's image, started
 * as a replica (docs/warm-replicas.md's environment, the token from the pool's Secret), with
 * resources.memory as each pod's memory limit. Created at zero replicas: its size is only ever
 * set through the scale subresource. `restartedAt` (when set) forces new pods.
 */
export function replicaDeployment(fn: FunctionVersion, warm: WarmSettings, owner: PoolOwner, settings: ReplicaDeploymentSettings, restartedAt?: string): KubeObject {
  const spec = fn.document.spec;
  const objectLabels = poolObjectLabels(fn, settings.controllerId);
  const podLabels = { [labels.managedBy]: managedByValue, [labels.function]: labelValue(fn.name), [poolLabels.pool]: labelValue(fn.name), [poolLabels.version]: String(fn.version) };
  const resources = containerResources(spec);
  const security = podSecurity(spec);
  const lanes = replicaLanes(warm, settings.replicaLanes);
  const replicaValues: Record<string, string> = {
    [replicaEnv.runtimeApi]: settings.runtimeApi,
    [replicaEnv.concurrency]: String(warm.concurrency),
    [replicaEnv.prefetch]: String(warm.prefetch ?? 0),
    ...(lanes !== undefined && spec.env?.[replicaEnv.lanes] === undefined ? { [replicaEnv.lanes]: String(lanes) } : {}),
    [replicaEnv.protocol]: String(replicaProtocolVersion),
    [replicaEnv.function]: fn.name,
    [replicaEnv.namespace]: fn.namespace,
    [replicaEnv.version]: String(fn.version),
  };
  const code = podCode(spec, settings.runtimeImages, `${fn.namespace}/${fn.name}`);
  const tokenRef = { name: '', valueFrom: { secretKeyRef: { name: poolObjectName(fn), key: tokenKey } } };
  const mount = [{ name: podLayout.volume, mountPath: podLayout.mountPath }];
  const container: Record<string, unknown> = {
    name: podLayout.containers.function,
    image: code.image,
    // The user's variables first: the protocol's names must not be overridden by them.
    env: [
      ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
      ...secretEnv(spec),
      ...Object.entries(replicaValues).map(([name, value]) => ({ name, value })),
      { name: replicaEnv.token, valueFrom: { secretKeyRef: { name: poolObjectName(fn), key: tokenKey } } },
      { name: replicaEnv.id, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ...(code.kind === 'package' ? launcherEnv(code, spec) : []),
    ],
    resources,
    volumeMounts: code.kind === 'package' ? [...mount, scratchVolume] : [scratchVolume],
    securityContext: security.function,
  };
  if (spec.command) container.command = spec.command;
  const template = {
    metadata: { labels: podLabels, annotations: { [annotations.functionVersion]: String(fn.version), ...(restartedAt ? { [restartedAtAnnotation]: restartedAt } : {}) } },
    spec: {
      restartPolicy: 'Always',
      enableServiceLinks: false,
      terminationGracePeriodSeconds: settings.graceSeconds,
      ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
      securityContext: security.pod,
      // A package comes from the runtime API, with the pool's token, into the pod's own volume.
      volumes: [{ name: scratchVolume.name, emptyDir: {} }, ...(code.kind === 'package' ? [{ name: podLayout.volume, emptyDir: {} }] : [])],
      ...(code.kind === 'package'
        ? { initContainers: [packageInitContainer(settings.observerImage, `http://${settings.runtimeApi}/v1/package/${code.sha256}`, code.sha256, tokenRef, mount)] }
        : {}),
      containers: [container],
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: poolObjectName(fn),
      namespace: fn.namespace,
      labels: objectLabels,
      annotations: { [annotations.functionVersion]: String(fn.version), [templateHashAnnotation]: templateHash(template) },
      ownerReferences: ownerReferences(fn, owner),
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: podLabels },
      template,
    },
  };
}

/** A short digest of a pod template, to compare the wanted one with the one applied. */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 16);
}
