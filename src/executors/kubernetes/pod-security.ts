import type { FunctionSpec } from '../../domain/function-spec.js';

/** The uid and gid of Pontoon's own containers in a pod (the observer image's USER, made explicit). */
export const observerUser = 65532;

/** The emptyDir every function container gets at /tmp: its scratch space under a read-only root. */
export const scratchVolume = { name: 'pontoon-tmp', mountPath: '/tmp' } as const;

/** The security contexts of one function's pod (a Job's or a warm pool's), from spec.podSecurity. */
export interface PodSecurity {
  /** The pod's securityContext. */
  pod: Record<string, unknown>;
  /** The function container's securityContext. */
  function: Record<string, unknown>;
  /** The securityContext of Pontoon's observer containers, restricted whatever the spec says. */
  observer: Record<string, unknown>;
}

const dropEverything = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

/**
 * The Pod Security Standards' `restricted` profile unless the function asks for `baseline`:
 * non-root, read-only root filesystem (a writable emptyDir at /tmp), no privilege escalation,
 * every capability dropped, the container runtime's default seccomp profile. `baseline` is for
 * images that must run as root or write where they were built: escalation stays off and seccomp
 * on. A namespace labelled `pod-security.kubernetes.io/enforce: restricted` admits the first.
 */
export function podSecurity(spec: FunctionSpec): PodSecurity {
  const asked = spec.podSecurity;
  const restricted = asked?.profile !== 'baseline';
  const identity = {
    ...(asked?.runAsUser === undefined ? {} : { runAsUser: asked.runAsUser }),
    ...(asked?.runAsGroup === undefined ? {} : { runAsGroup: asked.runAsGroup }),
  };
  return {
    pod: { seccompProfile: { type: 'RuntimeDefault' }, ...(restricted ? { runAsNonRoot: true } : {}) },
    function: restricted
      ? { ...dropEverything, runAsNonRoot: true, readOnlyRootFilesystem: asked?.readOnlyRootFilesystem ?? true, ...identity }
      : { allowPrivilegeEscalation: false, readOnlyRootFilesystem: asked?.readOnlyRootFilesystem ?? false, ...identity },
    observer: { ...dropEverything, runAsNonRoot: true, runAsUser: observerUser, runAsGroup: observerUser, readOnlyRootFilesystem: true },
  };
}
