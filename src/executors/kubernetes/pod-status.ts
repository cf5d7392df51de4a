import type { KubeObject } from '../../kubernetes/kube-api.js';
import { podLayout } from './pod-layout.js';

/** The parts of a pod's status Pontoon reads. */
export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; signal?: number };
}

/** A pod as the informer delivers it. */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; state?: ContainerState }[];
    initContainerStatuses?: { name: string; state?: ContainerState }[];
  };
}

/** A Job as the informer delivers it. */
export interface Job extends KubeObject {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; active?: number; failed?: number; succeeded?: number };
}

/**
 * What the pod and Job say about how an attempt's program ended:
 * - `exited`: the function container terminated (exit code, and `OOMKilled` when the kernel killed it);
 * - `deadline`: the Job's activeDeadlineSeconds passed and Kubernetes stopped it;
 * - `image`: its image cannot be pulled (ErrImagePull, ImagePullBackOff, InvalidImageName);
 * - `config`: its container cannot be made as specified (CreateContainerConfigError: a Secret or key of spec.secrets is missing);
 * - `evicted`: the kubelet evicted the pod (node pressure);
 * - `node-lost`: the pod's node went away and the pod with it;
 * - `vanished`: the pod or Job is gone without saying how it ended.
 */
export type PodEnd =
  | { kind: 'exited'; exitCode: number; oomKilled: boolean; message?: string }
  | { kind: 'deadline' }
  | { kind: 'image'; message: string }
  | { kind: 'config'; message: string }
  | { kind: 'evicted'; message: string }
  | { kind: 'node-lost'; message: string }
  | { kind: 'vanished'; message: string };

/** Waiting reasons of a container that will not start without someone changing the pod. */
const imageReasons = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/**
 * Why a long-running pod's function container cannot serve (an image that does not pull, a
 * program that keeps crashing, a Secret or variable that does not resolve); undefined while it
 * may yet start.
 */
export function startFailure(pod: Pod): string | undefined {
  const waiting = functionState(pod)?.waiting;
  if (!waiting?.reason || !(imageReasons.has(waiting.reason) || replicaStartReasons.has(waiting.reason))) return undefined;
  return `${waiting.reason} in pod ${pod.metadata?.name}${waiting.message ? `: ${waiting.message}` : ''}`;
}

/** Waiting reasons of a restarting container that will not serve without a change. */
const replicaStartReasons = new Set(['CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** The function container's state, if the pod reports it. */
export function functionState(pod: Pod): ContainerState | undefined {
  return pod.status?.containerStatuses?.find((status) => status.name === podLayout.containers.function)?.state;
}

/** True once the pod's phase is final. */
export function podFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** How the attempt ended according to its pod, or undefined while it has not. */
export function podEnd(pod: Pod): PodEnd | undefined {
  const status = pod.status ?? {};
  if (status.reason === 'DeadlineExceeded') return { kind: 'deadline' };
  if (status.reason === 'Evicted') return { kind: 'evicted', message: status.message ?? 'the pod was evicted' };
  if (status.reason === 'NodeLost') return { kind: 'node-lost', message: status.message ?? 'the pod’s node was lost' };
  const state = functionState(pod);
  if (state?.terminated) {
    const { exitCode, reason, message } = state.terminated;
    return { kind: 'exited', exitCode, oomKilled: reason === 'OOMKilled', message };
  }
  for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && imageReasons.has(waiting.reason)) {
      return { kind: 'image', message: `${waiting.reason} in container ${container.name}${waiting.message ? `: ${waiting.message}` : ''}` };
    }
    // The kubelet would wait for the Secret forever; the attempt fails now rather than run without it.
    if (waiting?.reason === 'CreateContainerConfigError') {
      return { kind: 'config', message: `${waiting.reason} in container ${container.name}${waiting.message ? `: ${waiting.message}` : ''}` };
    }
  }
  if (status.phase === 'Failed') {
    const disruption = status.conditions?.find((condition) => condition.type === 'DisruptionTarget' && condition.status === 'True');
    if (disruption?.reason === 'DeletionByTaintManager' || disruption?.reason === 'DeletionByPodGC') {
      return { kind: 'node-lost', message: disruption.message ?? 'the pod’s node was lost' };
    }
    if (disruption?.reason === 'TerminationByKubelet' || disruption?.reason === 'EvictionByEvictionAPI') {
      return { kind: 'evicted', message: disruption.message ?? 'the pod was evicted' };
    }
    return { kind: 'vanished', message: status.message ?? `the pod failed${status.reason ? ` (${status.reason})` : ''} before its program ended` };
  }
  return undefined;
}

/** How a pod that was deleted before it said how it ended is judged. */
export function deletedPodEnd(pod: Pod): PodEnd {
  const disruption = pod.status?.conditions?.find((condition) => condition.type === 'DisruptionTarget' && condition.status === 'True');
  if (disruption?.reason === 'DeletionByTaintManager' || disruption?.reason === 'DeletionByPodGC') {
    return { kind: 'node-lost', message: disruption.message ?? 'the pod’s node was lost' };
  }
  return { kind: 'vanished', message: 'the attempt’s pod was deleted before its program ended' };
}

/** How the attempt ended according to its Job, or undefined while the Job does not say. */
export function jobEnd(job: Job): PodEnd | undefined {
  const failed = job.status?.conditions?.find((condition) => (condition.type === 'Failed' || condition.type === 'FailureTarget') && condition.status === 'True');
  if (failed?.reason === 'DeadlineExceeded') return { kind: 'deadline' };
  return undefined;
}

/** True when the Job has ended one way or the other. */
export function jobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True');
}
