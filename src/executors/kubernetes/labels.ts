/** Labels and annotations Pontoon puts on the Jobs and pods of attempts. */
export const labels = {
  managedBy: 'app.kubernetes.io/managed-by',
  function: 'pontoon.dev/function',
  execution: 'pontoon.dev/execution',
  attempt: 'pontoon.dev/attempt',
  /** Which controller launched it: after a restart, it adopts only its own Jobs. */
  controller: 'pontoon.dev/controller',
} as const;

/** Annotations Pontoon puts on the Jobs of attempts. */
export const annotations = {
  functionVersion: 'pontoon.dev/function-version',
  deadline: 'pontoon.dev/deadline',
  /** The store's lease owner the attempt was started for: a restarted controller adopts the attempt from it. */
  leaseOwner: 'pontoon.dev/lease-owner',
} as const;

/** Value of app.kubernetes.io/managed-by on everything Pontoon creates. */
export const managedByValue = 'pontoon';

/** Label selector of the objects one controller launched. */
export function controllerSelector(controllerId: string): string {
  return `${labels.managedBy}=${managedByValue},${labels.controller}=${labelValue(controllerId)}`;
}

/**
 * A string made fit for a label value (63 characters of [A-Za-z0-9._-], alphanumeric at both
 * ends); controller ids such as `host/123` come out as `host-123`.
 */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned || 'none';
}

/** Name of the Job of one attempt: unique per attempt, so a repeated create is recognised. */
export function jobName(executionId: string, attempt: number): string {
  return `pontoon-${executionId.toLowerCase().replace(/[^a-z0-9-]/g, '')}-${attempt}`.slice(0, 63);
}
