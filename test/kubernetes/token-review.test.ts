import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { clusterStartTimeoutMs, controlPlaneMissing, startCluster, type TestCluster } from './control-plane.js';

const skip = controlPlaneMissing();

describe('Kubernetes tokens checked with a TokenReview on a real API server', { skip }, () => {
  let cluster: TestCluster;
  let pontoon: TestPontoon;
  const tokenOf = async (namespace: string, account: string) => {
    const made = await cluster.kubectl(['create', 'token', account, '-n', namespace, '--duration', '10m']);
    assert.equal(made.code, 0, made.stderr);
    return made.stdout.trim();
  };

  before(async () => {
    cluster = await startCluster();
    for (const [namespace, account] of [['default', 'ci'], ['default', 'stranger'], ['team', 'reader']]) {
      if (namespace !== 'default') await cluster.kubectl(['create', 'namespace', namespace]);
      const created = await cluster.kubectl(['create', 'serviceaccount', account, '-n', namespace]);
      assert.equal(created.code, 0, created.stderr);
    }
    const tokens = stringify({
      subjects: [
        { user: 'system:serviceaccount:default:ci', roles: { default: 'invoker' } },
        { group: 'system:serviceaccounts:team', roles: { team: 'viewer' } },
      ],
    });
    pontoon = await startTestPontoon({ kubernetes: { kubeconfig: cluster.kubeconfig }, auth: { tokens, tokenReview: true } });
  }, { timeout: clusterStartTimeoutMs });
  after(async () => {
    await pontoon?.close();
    await cluster?.stop();
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('a ServiceAccount named by user gets its roles: it reads and invokes, and may not deploy', async () => {
    const token = await tokenOf('default', 'ci');
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions', undefined, as(token))).status, 200);
    const deploy = await pontoon.request('PUT', '/v1/namespaces/default/functions/x', { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'x' }, spec: { runtime: 'command', command: ['true'] } }, as(token));
    assert.equal(deploy.status, 403);
    assert.equal((await pontoon.request('GET', '/v1/namespaces/team/functions', undefined, as(token))).status, 404);
  });

  it('a ServiceAccount named by its group gets the group roles', async () => {
    const token = await tokenOf('team', 'reader');
    assert.equal((await pontoon.request('GET', '/v1/namespaces/team/functions', undefined, as(token))).status, 200);
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions', undefined, as(token))).status, 404);
  });

  it('a token the cluster accepts but no subject names, and one the cluster refuses, answer 401', async () => {
    const stranger = await tokenOf('default', 'stranger');
    assert.equal((await pontoon.request('GET', '/v1/functions', undefined, as(stranger))).status, 401);
    assert.equal((await pontoon.request('GET', '/v1/functions', undefined, as('eyJhbGciOiJSUzI1NiJ9.not.a-token'))).status, 401);
  });
});
