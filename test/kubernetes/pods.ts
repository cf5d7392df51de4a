import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

/**
 * Reports the function container's end as a kubelet would: the container terminated with
 * `exitCode` (and `reason`), the observer sidecar stopped, the pod in its final phase.
 */
export async function endPod(api: KubeApi, pod: Pod, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): Promise<void> {
  const now = new Date().toISOString();
  const spec = pod.spec as { containers: { name: string; image: string }[]; initContainers: { name: string; image: string }[] };
  const terminated = (code: number, why: string) => ({ terminated: { exitCode: code, reason: why, startedAt: now, finishedAt: now } });
  await api.patch(`/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/status`, 'merge', {
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: spec.containers.map((container) => ({ name: container.name, image: container.image, ready: false, restartCount: 0, started: false, state: terminated(exitCode, reason) })),
      initContainerStatuses: spec.initContainers.map((container) => ({ name: container.name, image: container.image, ready: false, restartCount: 0, started: false, state: terminated(0, 'Completed') })),
    },
  });
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
  for (const variable of found.env as { name: string; value: string }[]) env[variable.name] = variable.value.replace(/^\/pontoon\//, `${volume}/`);
  return env;
}

/** A fresh directory standing in for the pod's shared emptyDir volume. */
export function podVolume(): string {
  return mkdtempSync(join(tmpdir(), 'pontoon-pod-'));
}

/** Starts the real observer (`input` or `sidecar`) as a process with a container's environment. */
export function startObserver(mode: 'input' | 'sidecar', env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; stderr(): string } {
  const child = spawn(process.execPath, [observerMain, mode], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return { child, exited: new Promise((r) => child.on('exit', (code) => r(code))), stderr: () => stderr };
}
