import type { FunctionSpec } from '../../domain/function-spec.js';
import { durationMs } from '../../domain/duration.js';
import { contractEnv } from '../../observer/contract.js';
import type { KubeObject } from '../../kubernetes/kube-api.js';
import type { ClaimedAttempt } from '../../store/store.js';
import { annotations, jobName, labels, labelValue, managedByValue } from './labels.js';
import { podSecurity, scratchVolume } from './pod-security.js';
import { attemptPackageUrl, launcherEnv, packageInitContainer, podCode, type RuntimeImages } from './package-fetch.js';
import { observerEnv, podLayout } from './pod-layout.js';

/** What shapes the Jobs of an executor, beside the attempt itself. */
export interface JobSettings {
  /** Image of the observer (this project's observer image). */
  observerImage: string;
  /** Base URL of the observer endpoint as pods reach it. */
  controllerUrl: string;
  controllerId: string;
  /** Seconds a finished Job (and its pod) is kept before Kubernetes collects it. */
  ttlSecondsAfterFinished: number;
  /** Seconds between TERM and KILL of a stopped pod. */
  graceSeconds: number;
  resultLimitBytes: number;
  heartbeatMs: number;
  /** Inputs up to this many bytes travel in the pod spec; larger ones are fetched from the controller. */
  inlineInputLimitBytes: number;
  /** The runtime image of each language, for functions that give no image of their own. */
  runtimeImages: RuntimeImages;
}

/**
 * The function container's requests and limits from spec.resources: the same amounts for both, so
 * a pod is never scheduled on less than it may use (none when the spec names none).
 */
export function containerResources(spec: FunctionSpec): Record<string, Record<string, string>> {
  if (!spec.resources?.memory && !spec.resources?.cpu) return {};
  const amounts: Record<string, string> = {};
  if (spec.resources.memory) amounts.memory = spec.resources.memory;
  if (spec.resources.cpu) amounts.cpu = spec.resources.cpu;
  return { requests: amounts, limits: amounts };
}

/** One attempt's Job, as created. */
export interface AttemptJob extends KubeObject {
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
}

type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/**
 * spec.secrets as references to Secrets of the function's namespace: the kubelet reads the value
 * when it starts the container, so it never passes through Pontoon; a missing one keeps the
 * container from starting (CreateContainerConfigError), never starts it with the value empty.
 */
export function secretEnv(spec: FunctionSpec): EnvVar[] {
  return (spec.secrets ?? []).map(({ name, from }) => ({ name, valueFrom: { secretKeyRef: { name: from.secret, key: from.key } } }));
}

/**
 * The batch/v1 Job of one on-demand attempt. Pontoon's retry policy owns retries, so the Job's
 * own are off (`backoffLimit: 0`, `restartPolicy: Never`); the function's timeout becomes
 * `activeDeadlineSeconds`; its resources become requests and limits. The pod holds the user's
 * container beside two of the observer's: an init container that writes the input to a shared
 * emptyDir, and a native sidecar (an init container with `restartPolicy: Always`, Kubernetes
 * 1.29+) that heartbeats and, once the function's container has ended and the sidecar is sent
 * TERM, reports the output and error files to the controller.
 */
export function attemptJob(claimed: ClaimedAttempt, token: string, settings: JobSettings, now: Date): AttemptJob {
  const fn = claimed.function;
  const spec = fn.document.spec;
  const executionId = claimed.execution.id;
  const timeoutMs = durationMs(spec.timeout);
  const deadline = new Date(now.getTime() + timeoutMs);
  const podLabels = {
    [labels.managedBy]: managedByValue,
    [labels.function]: labelValue(fn.name),
    [labels.execution]: labelValue(executionId),
    [labels.attempt]: String(claimed.attempt),
    [labels.controller]: labelValue(settings.controllerId),
  };
  const identity = { executionId, attempt: claimed.attempt, namespace: fn.namespace, function: fn.name, version: fn.version, traceContext: claimed.traceContext };
  const contract = contractEnv(identity, podLayout.files, deadline);
  const env = (values: Record<string, string>): EnvVar[] => Object.entries(values).map(([name, value]) => ({ name, value }));
  const inputJson = JSON.stringify(claimed.execution.input ?? null);
  const inline = Buffer.byteLength(inputJson) <= settings.inlineInputLimitBytes;
  const observerCommon = {
    [observerEnv.controllerUrl]: settings.controllerUrl,
    [observerEnv.token]: token,
    PONTOON_EXECUTION_ID: executionId,
    PONTOON_ATTEMPT: String(claimed.attempt),
  };
  const mount = [{ name: podLayout.volume, mountPath: podLayout.mountPath }];
  const security = podSecurity(spec);
  const observerResources = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } };
  const resources = containerResources(spec);
  const code = podCode(spec, settings.runtimeImages, `${fn.namespace}/${fn.name}`);
  const functionContainer: Record<string, unknown> = {
    name: podLayout.containers.function,
    image: code.image,
    // The user's variables first: the contract's names must not be overridden by them.
    env: [...env(spec.env ?? {}), ...secretEnv(spec), ...env(contract), ...(code.kind === 'package' ? launcherEnv(code, spec) : [])],
    volumeMounts: [...mount, scratchVolume],
    resources,
    securityContext: security.function,
  };
  if (spec.command) functionContainer.command = spec.command;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(executionId, claimed.attempt),
      namespace: fn.namespace,
      labels: podLabels,
      annotations: {
        [annotations.functionVersion]: String(fn.version),
        [annotations.deadline]: deadline.toISOString(),
        [annotations.leaseOwner]: claimed.execution.attempts.find((attempt) => attempt.number === claimed.attempt)?.owner ?? '',
      },
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      // Counted from the Job's start, so scheduling and image pulls count against the timeout.
      activeDeadlineSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)),
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          terminationGracePeriodSeconds: settings.graceSeconds,
          ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
          securityContext: security.pod,
          volumes: [
            { name: podLayout.volume, emptyDir: {} },
            { name: scratchVolume.name, emptyDir: {} },
          ],
          initContainers: [
            {
              name: podLayout.containers.input,
              image: settings.observerImage,
              args: ['input'],
              env: env({
                ...observerCommon,
                PONTOON_INPUT: podLayout.files.input,
                ...(inline ? { [observerEnv.inputJson]: inputJson } : {}),
              }),
              volumeMounts: mount,
              resources: observerResources,
              securityContext: security.observer,
            },
            // Fetched before the sidecar starts: a package that cannot be had fails the pod early.
            ...(code.kind === 'package'
              ? [packageInitContainer(settings.observerImage, attemptPackageUrl(settings.controllerUrl, executionId, claimed.attempt, code.sha256), code.sha256, { name: '', value: token }, mount)]
              : []),
            {
              name: podLayout.containers.observer,
              image: settings.observerImage,
              args: ['sidecar'],
              restartPolicy: 'Always',
              env: env({
                ...observerCommon,
                PONTOON_OUTPUT: podLayout.files.output,
                PONTOON_ERROR: podLayout.files.error,
                [observerEnv.resultLimit]: String(settings.resultLimitBytes),
                [observerEnv.heartbeatMs]: String(settings.heartbeatMs),
              }),
              volumeMounts: mount,
              resources: observerResources,
              securityContext: security.observer,
            },
          ],
          containers: [functionContainer],
        },
      },
    },
  };
}
