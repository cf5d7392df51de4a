import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isKubeStatus } from '../../src/kubernetes/kube-api.js';
import { installFunctionCrd } from '../../src/kubernetes/function-reconciler.js';
import { after, before, describe, it } from 'node:test';
import { LeaseLeadership } from '../../src/kubernetes/leader-lease.js';
import { freshSchema, pgSkipReason, testPgUrl, dropSchemas } from '../helpers/postgres.js';
import { clusterStartTimeoutMs, controlPlaneMissing, eventually, repoRoot, startCluster, type TestCluster } from './control-plane.js';
import { clusterOptions, dataDir, removeDir, startController, startControllerProcess, type ControllerProcess } from './controller.js';
import { attemptJob, playSidecarAttempt, podVolume, runningPod } from './pods.js';

const skip = controlPlaneMissing();

describe('Pontoon’s cluster pieces on a real Kubernetes API server', { skip }, () => {
  let cluster: TestCluster;
  const dirs: string[] = [];

  before(async () => {
    cluster = await startCluster();
  }, { timeout: clusterStartTimeoutMs });
  after(async () => {
    await cluster?.stop();
    dirs.forEach(removeDir);
    await dropSchemas();
  });

  const lease = (name: string) => cluster.api.get<any>(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${name}`);

  describe('leader election with a coordination.k8s.io Lease', () => {
    it('gives the Lease to one controller and hands it over at once when the leader steps down', async () => {
      const make = (identity: string) => new LeaseLeadership({ api: cluster.api, namespace: 'default', name: 'handover', identity, leaseDurationMs: 3000, retryMs: 200 });
      const a = make('replica-a');
      const b = make('replica-b');
      try {
        a.start();
        await eventually('a leads', () => (a.isLeader() ? true : undefined));
        b.start();
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(b.isLeader(), false, 'one leader at a time');
        assert.equal((await lease('handover')).spec.holderIdentity, 'replica-a');
        await a.stop();
        assert.equal(a.isLeader(), false);
        await eventually('b leads', () => (b.isLeader() ? true : undefined), 5000);
        const held = await lease('handover');
        assert.equal(held.spec.holderIdentity, 'replica-b');
        assert.equal(held.spec.leaseTransitions, 1);
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it('takes the Lease over from a holder that stopped renewing, only after a whole lease duration', async () => {
      const now = new Date().toISOString().replace('Z', '000Z');
      await cluster.api.create('/apis/coordination.k8s.io/v1/namespaces/default/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'takeover', namespace: 'default' },
        spec: { holderIdentity: 'dead-replica', leaseDurationSeconds: 3, acquireTime: now, renewTime: now, leaseTransitions: 4 },
      });
      const b = new LeaseLeadership({ api: cluster.api, namespace: 'default', name: 'takeover', identity: 'replica-b', leaseDurationMs: 3000, retryMs: 200 });
      const started = Date.now();
      try {
        b.start();
        await eventually('b leads', () => (b.isLeader() ? true : undefined), 10_000);
        assert.ok(Date.now() - started >= 2900, 'it waited out the dead holder’s lease');
        const held = await lease('takeover');
        assert.equal(held.spec.holderIdentity, 'replica-b');
        assert.equal(held.spec.leaseTransitions, 5);
      } finally {
        await b.stop();
      }
    });

    it('with several controllers on one PostgreSQL store, a new leader takes over when the leader dies, and work goes on', { skip: pgSkipReason() }, async () => {
      const store = `${testPgUrl}${testPgUrl!.includes('?') ? '&' : '?'}schema=${freshSchema('k8s')}`;
      const replica = (id: string) => {
        const dir = dataDir();
        dirs.push(dir);
        return clusterOptions(cluster.kubeconfig, dir, { store, kubernetes: { controllerId: id, leaderElection: true, leaderLeaseMs: 3000, leaseNamespace: 'default', installCrd: true } });
      };
      const replicas = new Map<string, ControllerProcess>();
      try {
        replicas.set('replica-a', await startControllerProcess(replica('replica-a')));
        replicas.set('replica-b', await startControllerProcess(replica('replica-b')));
        const first = await eventually('a leader', async () => (await lease('pontoon-controller').catch(() => undefined))?.spec?.holderIdentity || undefined);
        assert.ok(replicas.has(first));
        await replicas.get(first)!.kill();
        replicas.delete(first);
        const [survivorId, survivor] = [...replicas.entries()][0];
        const next = await eventually('the survivor to lead', async () => {
          const holder = (await lease('pontoon-controller')).spec.holderIdentity;
          return holder === survivorId ? holder : undefined;
        }, 20_000);
        assert.equal(next, survivorId);
        // The survivor runs work: deploy, invoke, the Job's pod succeeds.
        const deployed = await survivor.request('PUT', '/v1/namespaces/default/functions/after-failover', {
          apiVersion: 'pontoon.dev/v1',
          kind: 'Function',
          metadata: { name: 'after-failover' },
          spec: { runtime: 'command', image: 'registry.example/x:1', command: ['true'], retry: { limit: 0 } },
        });
        assert.ok(deployed.status < 300, JSON.stringify(deployed.body));
        const id = await survivor.invoke('default', 'after-failover', 5);
        const job = await attemptJob(cluster.api, 'default', id, 1);
        const pod = await runningPod(cluster.api, 'default', id, 1);
        const volume = podVolume();
        dirs.push(volume);
        await playSidecarAttempt(cluster.api, job, pod, volume, { exitCode: 0, output: '25' });
        const execution = await survivor.waitFor(id, 'default', (e) => e.status === 'succeeded' || e.status === 'failed');
        assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
        assert.equal(execution.result, 25);
      } finally {
        for (const controller of replicas.values()) await controller.close();
      }
    });
  });

  describe('the Helm chart', () => {
    it('renders with a plain helm template (no --kube-version) and is accepted by the API server on a server-side dry run', async () => {
      await cluster.api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pontoon-system' } });
      await cluster.api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'reports' } });
      const rendered = await cluster.helm([
        'template', 'pontoon', join(repoRoot, 'deploy/helm/pontoon'), '--namespace', 'pontoon-system', '--include-crds',
        '--set', 'replicas=2', '--set', 'store.postgres.enabled=true', '--set', 'store.postgres.url=postgres://pontoon@db:5432/pontoon', '--set', 'auth.existingSecret=pontoon-tokens',
        '--set', 'functionServiceAccounts[0].name=report-writer', '--set', 'functionServiceAccounts[0].namespace=reports',
        '--set', 'functionServiceAccounts[0].rules[0].apiGroups[0]=', '--set', 'functionServiceAccounts[0].rules[0].resources[0]=configmaps',
        '--set', 'functionServiceAccounts[0].rules[0].verbs[0]=get',
      ]);
      assert.equal(rendered.code, 0, rendered.stderr);
      const kinds = [...rendered.stdout.matchAll(/^kind: (\w+)/gm)].map((match) => match[1]).sort();
      assert.deepEqual(kinds, ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'Secret', 'Secret', 'Service', 'ServiceAccount', 'ServiceAccount']);
      // --force-conflicts: an earlier test's controller installed the CRD under its own field manager.
      const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '--field-manager=chart-test', '-f', '-'], rendered.stdout);
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /deployment.apps\/pontoon serverside-applied \(server dry run\)/);
      assert.match(applied.stdout, /customresourcedefinition.apiextensions.k8s.io\/functions.pontoon.dev serverside-applied \(server dry run\)/);
    });

    it('gives the controller least privilege, enough for all it does: a controller with only the chart\u2019s RBAC runs Jobs, warm pools and Function resources', async () => {
      for (const name of ['pontoon-system', 'rbac-functions']) {
        await cluster.api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((thrown) => {
          if (!isKubeStatus(thrown, 409)) throw thrown;
        });
      }
      const rendered = await cluster.helm(['template', 'pontoon', join(repoRoot, 'deploy/helm/pontoon'), '--namespace', 'pontoon-system', '--set', 'auth.existingSecret=pontoon-tokens', '--show-only', 'templates/rbac.yaml', '--show-only', 'templates/serviceaccount.yaml']);
      assert.equal(rendered.code, 0, rendered.stderr);
      const applied = await cluster.kubectl(['apply', '-n', 'pontoon-system', '-f', '-'], rendered.stdout);
      assert.equal(applied.code, 0, applied.stderr);
      // The chart installs the CRD, not the controller (--no-install-crd).
      await installFunctionCrd(cluster.api);
      const token = await cluster.kubectl(['create', 'token', 'pontoon', '-n', 'pontoon-system']);
      assert.equal(token.code, 0, token.stderr);
      const admin = parse(readFileSync(cluster.kubeconfig, 'utf8'));
      const dir = dataDir();
      dirs.push(dir);
      const kubeconfig = join(dir, 'service-account.kubeconfig');
      writeFileSync(kubeconfig, stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [{ name: 'pontoon', user: { token: token.stdout.trim() } }],
        contexts: [{ name: 'pontoon', context: { cluster: admin.clusters[0].name, user: 'pontoon', namespace: 'pontoon-system' } }],
        'current-context': 'pontoon',
      }));
      const controller = await startController(clusterOptions(kubeconfig, join(dir, 'data'), { kubernetes: { installCrd: false, leaderElection: true, leaseNamespace: 'pontoon-system', runtimeApiPort: 0 } }));
      try {
        const ns = 'rbac-functions';
        const document = (name: string, spec: Record<string, unknown>) => ({
          apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name, namespace: ns },
          spec: { runtime: 'command', image: 'registry.example/job:1', command: ['/bin/sh', '-c', 'echo hi'], timeout: '1m', retry: { limit: 0 }, ...spec },
        });
        // Function resources: applied (created), their status patched.
        assert.equal((await controller.request('PUT', `/v1/namespaces/${ns}/functions/cold`, document('cold', {}))).status, 201);
        await eventually('the Function resource and its status', async () => {
          const object = await cluster.api.get<any>(`/apis/pontoon.dev/v1/namespaces/${ns}/functions/cold`).catch(() => undefined);
          return object?.status ? object : undefined;
        });
        // An invocation: its Job created, its pod watched, the Job deleted when cancelled.
        const id = await controller.invoke(ns, 'cold', null);
        await attemptJob(cluster.api, ns, id, 1);
        await runningPod(cluster.api, ns, id, 1);
        await controller.request('POST', `/v1/namespaces/${ns}/executions/${id}/cancel`);
        await eventually('the cancelled attempt\u2019s Job to be deleted', async () => {
          const jobs = await cluster.api.get<any>(`/apis/batch/v1/namespaces/${ns}/jobs`, { labelSelector: `pontoon.dev/execution=${id}` });
          return jobs.items.length === 0 ? true : undefined;
        });
        // A warm pool: its Secret and Deployment created, scaled to one, both deleted with the function.
        assert.equal((await controller.request('PUT', `/v1/namespaces/${ns}/functions/warm`, document('warm', { warm: { min: 1, max: 1 } }))).status, 201);
        await eventually('the pool Deployment scaled to one', async () => {
          const list = await cluster.api.get<any>(`/apis/apps/v1/namespaces/${ns}/deployments`, { labelSelector: 'pontoon.dev/warm-pool=warm' });
          return list.items[0]?.spec?.replicas === 1 ? true : undefined;
        });
        const secrets = await cluster.api.get<any>(`/api/v1/namespaces/${ns}/secrets`);
        assert.equal(secrets.items.filter((secret: any) => secret.metadata.labels?.['pontoon.dev/warm-pool'] === 'warm').length, 1);
        assert.equal((await controller.request('DELETE', `/v1/namespaces/${ns}/functions/warm`)).status < 300, true);
        await eventually('the pool Deployment to be deleted', async () => {
          const list = await cluster.api.get<any>(`/apis/apps/v1/namespaces/${ns}/deployments`, { labelSelector: 'pontoon.dev/warm-pool=warm' });
          return list.items.length === 0 ? true : undefined;
        });
        // The leader Lease in the release's namespace.
        const lease = await cluster.api.get<any>('/apis/coordination.k8s.io/v1/namespaces/pontoon-system/leases').then((list) => list.items);
        assert.equal(lease.length >= 1, true);
        // And nothing more: what it never does, it may not do.
        for (const [verb, resource] of [['get', 'jobs'], ['update', 'deployments'], ['watch', 'secrets'], ['list', 'secrets'], ['create', 'pods'], ['get', 'customresourcedefinitions'], ['create', 'rolebindings'], ['get', 'configmaps']]) {
          const can = await cluster.kubectl(['auth', 'can-i', verb, resource, '--all-namespaces', '--as', 'system:serviceaccount:pontoon-system:pontoon']);
          assert.equal(can.stdout.trim(), 'no', `${verb} ${resource}`);
        }
      } finally {
        await controller.close();
      }
    });

    it('refuses several replicas on the SQLite store', async () => {
      const rendered = await cluster.helm(['template', 'pontoon', join(repoRoot, 'deploy/helm/pontoon'), '--set', 'replicas=2']);
      assert.notEqual(rendered.code, 0);
      assert.match(rendered.stderr, /replicas > 1 needs store.postgres.enabled/);
    });
  });
});

