import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeApi, KubeList } from '../../src/kubernetes/kube-api.js';
import type { Job, Pod } from '../../src/executors/kubernetes/pod-status.js';
import { eventually } from './control-plane.js';

const observerMain = resolve(fileURLToPath(import.meta.url), '../../../src/observer/pod/main.js');

/** The pod of one attempt, once the Job controller has made it and kwok runs it. */
export function runningPod(api: KubeApi, namespace: string, executionId: string, attempt: number): Promise<Pod> {
  return eventually(`the running pod of attempt ${attempt}`, async () => {
    const pods = await api.get<KubeList<Pod>>(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: `pontoon.dev/execution=${executionId},pontoon.dev/attempt=${attempt}` });
    return pods.items.find((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);
  });
}

/** The Job of one attempt, once it exists. */
export function attemptJob(api: KubeApi, namespace: string, executionId: string, attempt: number): Promise<Job & { spec: any }> {
  return eventually(`the Job of attempt ${attempt}`, async () => {
    const jobs = await api.get<KubeList<Job & { spec: any }>>(`/apis/batch/v1/namespaces/${namespace}/jobs`, { labelSelector: `pontoon.dev/execution=${executionId},pontoon.dev/attempt=${attempt}` });
    return jobs.items[0];
  });
}

type PodSpec = { containers: { name: string; image: string }[]; initContainers: { name: string; image: string; restartPolicy?: string }[] };

const terminated = (exitCode: number, reason: string) => {
  const now = new Date().toISOString();
  return { terminated: { exitCode, reason, startedAt: now, finishedAt: now } };
};

/**
 * Reports the function container's end as a kubelet would: that container terminated with
 * `exitCode` (and `reason`), the observer sidecar still running, the pod still Running. The
 * kubelet then stops the sidecar (TERM), and only once it has exited is the pod finished
 * (`finishPod`).
 */
export async function endFunction(api: KubeApi, pod: Pod, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): Promise<void> {
  const spec = pod.spec as unknown as PodSpec;
  await api.patch(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, 'merge', {
    status: {
      containerStatuses: spec.containers.map((container) => ({ name: container.name, image: container.image, ready: false, restartCount: 0, started: false, state: terminated(exitCode, reason) })),
    },
  });
}

/** The pod's last status: every container terminated, the phase final (after endFunction). */
export async function finishPod(api: KubeApi, pod: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const spec = pod.spec as unknown as PodSpec;
  await api.patch(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, 'merge', {
    status: {
      phase,
      initContainerStatuses: spec.initContainers.map((container) => ({ name: container.name, image: container.image, ready: false, restartCount: 0, started: false, state: terminated(0, 'Completed') })),
    },
  });
}

/** A function container's end and its pod's, with no observer in between (as when the sidecar died). */
export async function endPod(api: KubeApi, pod: Pod, exitCode: number, reason?: string): Promise<void> {
  await endFunction(api, pod, exitCode, reason);
  await finishPod(api, pod, exitCode === 0 ? 'Succeeded' : 'Failed');
}

/** Puts a container of the pod in a waiting state, as a kubelet that cannot pull its image does. */
export async function waitingPod(api: KubeApi, pod: Pod, reason: string, message: string): Promise<void> {
  const spec = pod.spec as { containers: { name: string; image: string }[] };
  await api.patch(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, 'merge', {
    status: {
      phase: 'Pending',
      containerStatuses: spec.containers.map((container) => ({ name: container.name, image: container.image, ready: false, restartCount: 0, state: { waiting: { reason, message } } })),
    },
  });
}

/** The environment a container of the Job's pod gets, with /pontoon moved to `volume`. */
export function containerEnv(job: Job & { spec: any }, container: string, volume: string): Record<string, string> {
  const spec = job.spec.template.spec;
  const found = [...spec.initContainers, ...spec.containers].find((candidate: { name: string }) => candidate.name === container);
  const env: Record<string, string> = {};
  // A secretKeyRef has no value here: the kubelet would read it from the Secret.
  for (const variable of found.env as { name: string; value?: string }[]) if (variable.value !== undefined) env[variable.name] = variable.value.replace(/^\/pontoon\//, `${volume}/`);
  return env;
}

/** A fresh directory standing in for the pod's shared emptyDir volume. */
export function podVolume(): string {
  return mkdtempSync(join(tmpdir(), 'pontoon-pod-'));
}

/** A running observer process. */
export interface ObserverProcess {
  child: ChildProcess;
  /** Exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string | null>;
  /** Resolves once a sidecar says it is ready (it has its TERM handler): a kubelet stops it only later. */
  ready: Promise<void>;
  stderr(): string;
}

/** Starts the real observer (`input` or `sidecar`) as a process with a container's environment. */
export function startObserver(mode: 'input' | 'sidecar', env: Record<string, string>): ObserverProcess {
  const child = spawn(process.execPath, [observerMain, mode], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.includes('ready:')) markReady();
  });
  const exited = new Promise<number | string | null>((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  return { child, exited, ready, stderr: () => stderr };
}

/** How the function container of a played attempt ends: its exit code and the files it wrote. */
export interface FunctionEnd {
  exitCode: number;
  /** Written to PONTOON_OUTPUT. */
  output?: string;
  /** Written to PONTOON_ERROR. */
  error?: string;
}

/**
 * Plays an attempt's pod from its sidecar on, as the kubelet and the containers would: the real
 * sidecar observer watches while the function container writes its files and exits, then the
 * sidecar is stopped (it must exit 0) and the pod finishes with the phase the exit code gives.
 */
export async function playSidecarAttempt(api: KubeApi, job: Job & { spec: any }, pod: Pod, volume: string, end: FunctionEnd): Promise<void> {
  const sidecar = startObserver('sidecar', containerEnv(job, 'pontoon-observer', volume));
  await sidecar.ready;
  const functionEnv = containerEnv(job, 'function', volume);
  if (end.output !== undefined) writeFileSync(functionEnv.PONTOON_OUTPUT, end.output);
  if (end.error !== undefined) writeFileSync(functionEnv.PONTOON_ERROR, end.error);
  await endFunction(api, pod, end.exitCode);
  sidecar.child.kill('SIGTERM');
  assert.equal(await sidecar.exited, 0, sidecar.stderr());
  await finishPod(api, pod, end.exitCode === 0 ? 'Succeeded' : 'Failed');
}
