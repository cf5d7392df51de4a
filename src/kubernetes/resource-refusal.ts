import { PontoonError, type FieldProblem } from '../domain/errors.js';
import { KubeError } from './kube-api.js';

/**
 * The deploy error for a Function resource the API server refused, naming the fields it blamed
 * (a label value it does not allow, a namespace the cluster does not have), or undefined when the
 * answer is no fault of the caller's (5xx, throttling, credentials, a missing CRD): those stay
 * internal errors.
 */
export function functionRefusal(thrown: unknown, namespace: string): PontoonError | undefined {
  if (!(thrown instanceof KubeError)) return undefined;
  const problems = problemsOf(thrown, namespace);
  if (!problems) return undefined;
  const summary = problems.map((problem) => `${problem.field} ${problem.message}`).join('; ');
  return new PontoonError('INVALID_SPEC', `the Kubernetes API server refuses the Function resource: ${summary}`, { problems });
}

function problemsOf(error: KubeError, namespace: string): FieldProblem[] | undefined {
  const serverSays = error.message.replace(/^[A-Z]+ \S+: /, '');
  switch (error.status) {
    case 400:
    case 422: {
      const causes = (error.details?.causes ?? []).filter((cause) => cause.message || cause.field);
      if (causes.length === 0) return [{ field: '(document)', message: serverSays }];
      return causes.map((cause) => ({ field: cause.field || '(document)', message: cause.message ?? cause.reason ?? 'is invalid' }));
    }
    case 403:
      // RBAC that leaves the namespace out, or a namespace being deleted: either way, not there.
      return [{ field: 'metadata.namespace', message: `cannot hold Function resources of this controller: ${serverSays}` }];
    case 404:
      if (error.details?.kind !== 'namespaces') return undefined;
      return [{ field: 'metadata.namespace', message: `names a namespace the cluster does not have (${namespace})` }];
    default:
      return undefined;
  }
}
