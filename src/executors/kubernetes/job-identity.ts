import type { AttemptRef } from '../../store/store.js';
import { annotations, labels } from './labels.js';
import { observerEnv, podLayout } from './pod-layout.js';
import type { Job, Pod } from './pod-status.js';

/** The attempt a Job or pod belongs to, by its labels. */
export function refOf(object: Job | Pod): AttemptRef | undefined {
  const objectLabels = object.metadata?.labels ?? {};
  const executionId = objectLabels[labels.execution];
  const number = Number(objectLabels[labels.attempt]);
  if (!executionId || !Number.isInteger(number)) return undefined;
  // Label values are the execution ids themselves (UUIDs fit a label value unchanged).
  return { executionId, attempt: number };
}

/** The lease owner a Job's attempt was started for; none on Jobs made before owners were recorded. */
export function leaseOwnerOf(job: Job): string | undefined {
  return job.metadata?.annotations?.[annotations.leaseOwner] || undefined;
}

/** The attempt token a Job's observer carries. */
export function tokenOf(job: Job): string | undefined {
  const template = (job as { spec?: { template?: { spec?: { initContainers?: { name: string; env?: { name: string; value?: string }[] }[] } } } }).spec?.template?.spec;
  const observer = template?.initContainers?.find((container) => container.name === podLayout.containers.observer);
  return observer?.env?.find((variable) => variable.name === observerEnv.token)?.value;
}
