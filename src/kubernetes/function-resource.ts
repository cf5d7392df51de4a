import type { FunctionVersion } from '../domain/function-spec.js';
import { functionResource } from './function-crd.js';
import type { KubeObject } from './kube-api.js';

/** A Function custom resource as the API server holds it. */
export interface FunctionObject extends KubeObject {
  metadata: NonNullable<KubeObject['metadata']> & { name: string; namespace: string };
  spec: Record<string, unknown>;
  status?: FunctionStatus;
}

/** The status the reconciler writes (see function-crd.ts). */
export interface FunctionStatus {
  version?: number;
  observedGeneration?: number;
  phase?: 'Ready' | 'Invalid';
  message?: string;
  queued?: number;
  running?: number;
  lastExecution?: { id: string; status: string; createdAt: string } | null;
}

/** The finalizer that lets a deleted resource's function leave the registry first. */
export const functionFinalizer = 'pontoon.dev/registry';

/** Annotations tools put on objects that are not part of a function's declaration. */
const toolAnnotations = /^(kubectl\.kubernetes\.io\/|meta\.helm\.sh\/)/;

/** Path of the Function collection of a namespace, or of all namespaces. */
export function functionsPath(namespace?: string): string {
  const base = `/apis/${functionResource.group}/${functionResource.version}`;
  return namespace ? `${base}/namespaces/${namespace}/${functionResource.plural}` : `${base}/${functionResource.plural}`;
}

/** The Pontoon document a Function resource declares (validated later by the deploy). */
export function documentOf(object: FunctionObject): Record<string, unknown> {
  const annotations = Object.fromEntries(Object.entries(object.metadata.annotations ?? {}).filter(([key]) => !toolAnnotations.test(key)));
  const metadata: Record<string, unknown> = { name: object.metadata.name, namespace: object.metadata.namespace };
  if (object.metadata.labels && Object.keys(object.metadata.labels).length > 0) metadata.labels = object.metadata.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata, spec: withRetryOn(object.spec) };
}

/** `retry.on` back from the key YAML 1.1 made of it (`true`, see function-crd.ts). */
function withRetryOn(spec: Record<string, unknown>): Record<string, unknown> {
  const retry = spec.retry as Record<string, unknown> | undefined;
  if (!retry || !('true' in retry)) return spec;
  const { true: on, ...rest } = retry;
  // The API server has defaulted `on` meanwhile: what the user wrote is under `true`.
  return { ...spec, retry: { ...rest, on } };
}

/** The Function resource that mirrors a stored version (what a deploy through the API writes). */
export function objectOf(fn: FunctionVersion): Record<string, unknown> {
  const { labels, annotations } = fn.document.metadata;
  return {
    apiVersion: `${functionResource.group}/${functionResource.version}`,
    kind: functionResource.kind,
    metadata: { name: fn.name, namespace: fn.namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: fn.document.spec,
  };
}

/** True when two values are the same JSON (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : inner,
  );
}
