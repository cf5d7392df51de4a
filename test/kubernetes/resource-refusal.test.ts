import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from '../../src/kubernetes/kube-api.js';
import { functionRefusal } from '../../src/kubernetes/resource-refusal.js';

const path = 'PATCH /apis/pontoon.dev/v1/namespaces/default/functions/report';

describe('a Function resource the API server refuses', () => {
  it('is INVALID_SPEC naming each field the server blamed (422 Invalid)', () => {
    const refused = new KubeError(422, 'Invalid', `${path}: Function.pontoon.dev "report" is invalid: metadata.labels: Invalid value: "cost center": …`, {
      name: 'report',
      kind: 'Function',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "cost center": a valid label must be …', field: 'metadata.labels' }],
    });
    const error = functionRefusal(refused, 'default');
    assert.equal(error?.code, 'INVALID_SPEC');
    assert.equal(error?.status, 422);
    assert.deepEqual(error?.details, { problems: [{ field: 'metadata.labels', message: 'Invalid value: "cost center": a valid label must be …' }] });
    assert.match(error!.message, /^the Kubernetes API server refuses the Function resource: metadata\.labels Invalid value/);
  });

  it('names metadata.namespace for a namespace the cluster does not have, or one the controller may not write in', () => {
    const missing = functionRefusal(new KubeError(404, 'NotFound', `${path}: namespaces "reports" not found`, { name: 'reports', kind: 'namespaces' }), 'reports');
    assert.deepEqual(missing?.details, { problems: [{ field: 'metadata.namespace', message: 'names a namespace the cluster does not have (reports)' }] });
    const forbidden = functionRefusal(new KubeError(403, 'Forbidden', `${path}: unable to create new content in namespace reports because it is being terminated`), 'reports');
    assert.deepEqual((forbidden?.details as any).problems.map((p: any) => p.field), ['metadata.namespace']);
    assert.match(forbidden!.message, /being terminated/);
  });

  it('is not the caller’s fault when the server fails, throttles, or lacks the CRD', () => {
    assert.equal(functionRefusal(new KubeError(500, 'InternalError', `${path}: etcd timed out`), 'default'), undefined);
    assert.equal(functionRefusal(new KubeError(429, 'TooManyRequests', `${path}: slow down`), 'default'), undefined);
    assert.equal(functionRefusal(new KubeError(404, 'NotFound', `${path}: the server could not find the requested resource`), 'default'), undefined);
    assert.equal(functionRefusal(new Error('socket hang up'), 'default'), undefined);
  });
});
