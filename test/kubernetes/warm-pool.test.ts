import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isKubeStatus, type KubeList } from '../../src/kubernetes/kube-api.js';
import { clusterStartTimeoutMs, controlPlaneMissing, eventually, startCluster, type TestCluster } from './control-plane.js';
import { clusterOptions, dataDir, removeDir, startController, type TestController } from './controller.js';
import { attemptJob } from './pods.js';

const skip = controlPlaneMissing();
const playerMain = resolve(fileURLToPath(import.meta.url), '../replica-player.js');
const deployments = '/apis/apps/v1/namespaces/default/deployments';

/** A warm command (its program speaks the replica protocol), as a user would deploy it on Kubernetes: its image, a short idle timeout. */
function warmFunction(name: string, version = '1.0', min = 0, timeout = '1m') {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name, namespace: 'default' },
    spec: {
      runtime: 'command',
      command: ['node', '/app/replica.js'],
      image: `registry.example/doubler:${version}`,
      env: { GREETING: 'hello' },
      resources: { memory: '256Mi' },
      timeout,
      retry: { limit: 0 },
      warm: { min, max: 2, idleTimeout: '3s', concurrency: 2 },
    },
  };
}

type Container = { image: string; env: { name: string; value?: string; valueFrom?: any }[]; resources: any };

describe('warm pools on a real Kubernetes API server', { skip }, () => {
  let cluster: TestCluster;
  let controller: TestController;
  const dirs: string[] = [];
  let dir: string;

  before(async () => {
    cluster = await startCluster();
    dir = dataDir();
    dirs.push(dir);
    controller = await startController(clusterOptions(cluster.kubeconfig, dir, { kubernetes: { runtimeApiPort: 0 } }));
  }, { timeout: clusterStartTimeoutMs });

  after(async () => {
    await controller?.close();
    await cluster?.stop();
    dirs.forEach(removeDir);
  });

  const scaleOf = async (name: string) => (await cluster.api.get<{ spec: { replicas?: number } }>(`${deployments}/${name}/scale`)).spec.replicas ?? 0;

  /** The replica environment a pod of the Deployment gets: literal values, the token read from its Secret. */
  async function podEnv(container: Container): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const entry of container.env) {
      if (entry.value !== undefined) env[entry.name] = entry.value;
      else if (entry.valueFrom?.secretKeyRef) {
        const { name, key } = entry.valueFrom.secretKeyRef;
        const secret = await cluster.api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/default/secrets/${name}`);
        env[entry.name] = Buffer.from(secret.data[key], 'base64').toString('utf8');
      }
    }
    return env;
  }

  /** A replica process with a pod template's environment; `exited` resolves with its exit code. */
  async function startPlayer(container: Container, more: Record<string, string> = {}) {
    const env = await podEnv(container);
    const player = spawn(process.execPath, [playerMain], { env: { ...env, PATH: process.env.PATH, PLAYER_LIMIT_MS: '60000', ...more }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    player.stdout.on('data', (chunk) => (output += chunk));
    player.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((r) => player.on('exit', (code) => r(code)));
    return { exited, output: () => output, kill: () => player.kill() };
  }

  const deploymentOf = (name: string) =>
    eventually(`Deployment ${name}`, async () => {
      try {
        return await cluster.api.get<any>(`${deployments}/${name}`);
      } catch (thrown) {
        if (isKubeStatus(thrown, 404)) return undefined;
        throw thrown;
      }
    });
  const gone = async (path: string) => cluster.api.get(path).then(() => false, (thrown) => isKubeStatus(thrown, 404));

  it('rolls a new Deployment for a new version: the old replicas are drained through the protocol and their Deployment deleted; ready replicas are the Deployment’s', async () => {
    const deploy = async (version: string) => {
      const put = await controller.request('PUT', '/v1/namespaces/default/functions/tripler', warmFunction('tripler', version, 1));
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    };
    await deploy('1.0');
    const first = await deploymentOf('pontoon-warm-tripler-v1');
    await eventually('min 1 through the scale subresource', async () => ((await scaleOf('pontoon-warm-tripler-v1')) === 1 ? true : undefined));
    // kwok runs the pod: the Deployment's ready replicas are what the function's status shows.
    const status = await eventually('one ready replica in the function status', async () => {
      const replicas = (await controller.request('GET', '/v1/namespaces/default/functions/tripler')).body.status?.replicas;
      return replicas?.ready === 1 ? replicas : undefined;
    });
    assert.equal(status.desired, 1);
    const old = await startPlayer(first.spec.template.spec.containers[0]);
    try {
      const before = await controller.waitFor(await controller.invoke('default', 'tripler', { n: 5 }), 'default', (execution) => execution.status === 'succeeded' || execution.status === 'failed');
      assert.deepEqual(before.result, { doubled: 10 }, old.output());

      await deploy('2.0');
      const second = await deploymentOf('pontoon-warm-tripler-v2');
      assert.equal(second.spec.template.spec.containers[0].image, 'registry.example/doubler:2.0');
      // The old replica is told to drain (410) and exits 0; its Deployment and Secret are then deleted.
      assert.equal(await old.exited, 0, old.output());
      await eventually('the v1 Deployment and Secret deleted', async () =>
        (await gone(`${deployments}/pontoon-warm-tripler-v1`)) && (await gone('/api/v1/namespaces/default/secrets/pontoon-warm-tripler-v1')) ? true : undefined,
      );
      await eventually('min 1 on the new Deployment', async () => ((await scaleOf('pontoon-warm-tripler-v2')) === 1 ? true : undefined));
      const fresh = await startPlayer(second.spec.template.spec.containers[0]);
      try {
        const after = await controller.waitFor(await controller.invoke('default', 'tripler', { n: 7 }), 'default', (execution) => execution.status === 'succeeded' || execution.status === 'failed');
        assert.deepEqual(after.result, { doubled: 14 }, fresh.output());
      } finally {
        fresh.kill();
        await fresh.exited;
      }
    } finally {
      old.kill();
      await old.exited;
    }
  });

  it('survives a controller restart: the pool keeps its Secret’s token and its size, the template follows the runtime API’s new address, and replicas take work again', async () => {
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/keeper', warmFunction('keeper', '1.0', 1));
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    const name = 'pontoon-warm-keeper-v1';
    await deploymentOf(name);
    await eventually('min 1 through the scale subresource', async () => ((await scaleOf(name)) === 1 ? true : undefined));
    const secretPath = `/api/v1/namespaces/default/secrets/${name}`;
    const tokenBefore = (await cluster.api.get<any>(secretPath)).data.token;

    await controller.close();
    controller = await startController(clusterOptions(cluster.kubeconfig, dir, { kubernetes: { runtimeApiPort: 0 } }));
    // The new runtime API listens elsewhere (port 0): the template is updated to it, the size kept.
    const listening = (deployment: any) => deployment.spec.template.spec.containers[0].env.find((entry: any) => entry.name === 'PONTOON_RUNTIME_API').value;
    const updated = await eventually('the template pointing at a runtime API that answers', async () => {
      const deployment = await cluster.api.get<any>(`${deployments}/${name}`);
      const answer = await fetch(`http://${listening(deployment)}/v1/invocations/next?wait=0`).catch(() => undefined);
      return answer?.status === 401 ? deployment : undefined;
    });
    assert.equal((await cluster.api.get<any>(secretPath)).data.token, tokenBefore, 'the token is kept: running pods stay authenticated');
    assert.equal(await scaleOf(name), 1);
    const player = await startPlayer(updated.spec.template.spec.containers[0]);
    try {
      const done = await controller.waitFor(await controller.invoke('default', 'keeper', { n: 21 }), 'default', (execution) => execution.status === 'succeeded' || execution.status === 'failed');
      assert.deepEqual(done.result, { doubled: 42 }, player.output());
    } finally {
      player.kill();
      await player.exited;
    }
  });

  it('hands an invoke to a pod waiting in its long poll: enqueued and started for it in one store transaction, without a wake-up and a claim of its own', async () => {
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/handed', warmFunction('handed', '1.0', 1));
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    const deployment = await deploymentOf('pontoon-warm-handed-v1');
    await eventually('one ready replica in the function status', async () => {
      const replicas = (await controller.request('GET', '/v1/namespaces/default/functions/handed')).body.status?.replicas;
      return replicas?.ready === 1 ? true : undefined;
    });
    /** How many times the store ran an operation, from the controller's own metrics. */
    const operations = async (operation: string) => {
      const text = (await controller.request('GET', '/metrics')).body as string;
      const sample = new RegExp(`^pontoon_store_operation_duration_seconds_count\\{operation="${operation}"\\} (\\d+)$`, 'm').exec(text);
      return Number(sample?.[1] ?? 0);
    };
    const player = await startPlayer(deployment.spec.template.spec.containers[0]);
    try {
      // The first answer shows the pod serving (it may have come through a wake-up and a claim).
      const first = await controller.waitFor(await controller.invoke('default', 'handed', { n: 1 }), 'default', (execution) => !['queued', 'running'].includes(execution.status));
      assert.deepEqual(first.result, { doubled: 2 }, player.output());
      const before = { handedOff: await operations('enqueueAndClaimFunction'), enqueued: await operations('enqueueExecutions') };
      const rounds = 4;
      for (let round = 0; round < rounds; round++) {
        const done = await controller.waitFor(await controller.invoke('default', 'handed', { n: round }), 'default', (execution) => !['queued', 'running'].includes(execution.status));
        assert.deepEqual(done.result, { doubled: round * 2 }, player.output());
      }
      const handedOff = (await operations('enqueueAndClaimFunction')) - before.handedOff;
      const enqueued = (await operations('enqueueExecutions')) - before.enqueued;
      assert.equal(handedOff + enqueued, rounds);
      // The pod re-polls right after each answer; an invoke may still fall between two of its polls (enqueued and woken instead).
      assert.ok(handedOff >= rounds - 1, `${handedOff} of ${rounds} invokes handed off\n${player.output()}`);
    } finally {
      player.kill();
      await player.exited;
    }
  });

  it('times out an invocation held past its deadline and replaces the Deployment’s pods (it cannot tell which one holds it)', async () => {
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/stuck', warmFunction('stuck', '1.0', 1, '2s'));
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    const name = 'pontoon-warm-stuck-v1';
    const deployment = await deploymentOf(name);
    assert.equal(deployment.spec.template.metadata.annotations['pontoon.dev/restarted-at'], undefined);
    const player = await startPlayer(deployment.spec.template.spec.containers[0], { PLAYER_HANG: '1' });
    try {
      const id = await controller.invoke('default', 'stuck', { n: 1 });
      const done = await controller.waitFor(id, 'default', (execution) => !['queued', 'running'].includes(execution.status));
      assert.equal(done.status, 'timed_out', `${JSON.stringify(done)}\n${player.output()}`);
      const restarted = await eventually('the pod template restarted', async () => {
        const current = await cluster.api.get<any>(`${deployments}/${name}`);
        return current.spec.template.metadata.annotations['pontoon.dev/restarted-at'];
      });
      assert.ok(!Number.isNaN(Date.parse(restarted)));
    } finally {
      player.kill();
      await player.exited;
    }
  });

  it('lets a pool whose pods cannot start run its executions as Jobs, as a local pool does after failed starts', async () => {
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/unpulled', warmFunction('unpulled', '1.0', 1));
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    const pod = await eventually('the pool’s pod', async () => {
      const pods = await cluster.api.get<KubeList<any>>('/api/v1/namespaces/default/pods', { labelSelector: 'pontoon.dev/warm-pool=unpulled' });
      return pods.items.find((item) => item.status?.phase === 'Running');
    });
    // What a kubelet reports for an image it cannot pull: the container waiting, the pod not ready.
    await cluster.api.patch(`/api/v1/namespaces/default/pods/${pod.metadata.name}/status`, 'merge', {
      status: {
        conditions: [{ type: 'Ready', status: 'False' }, { type: 'ContainersReady', status: 'False' }],
        containerStatuses: [{ name: 'function', image: pod.spec.containers[0].image, imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
      },
    });
    await eventually('the function served by no ready replica', async () => {
      const replicas = (await controller.request('GET', '/v1/namespaces/default/functions/unpulled')).body.status?.replicas;
      return replicas?.ready === 0 ? true : undefined;
    });
    const id = await controller.invoke('default', 'unpulled', { n: 1 });
    const job = await attemptJob(cluster.api, 'default', id, 1);
    assert.equal(job.spec.template.spec.containers[0].image, 'registry.example/doubler:1.0');
  });

  it('runs warm replicas restricted: the pool Deployment\u2019s pods are admitted where the restricted Pod Security Standard is enforced', async () => {
    await cluster.api.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
    });
    const document = warmFunction('locked-warm', '1.0', 1);
    const deployed = await controller.request('PUT', '/v1/namespaces/locked/functions/locked-warm', { ...document, metadata: { name: 'locked-warm', namespace: 'locked' } });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    const deployment = await eventually('the pool Deployment', async () => {
      const list = await cluster.api.get<any>('/apis/apps/v1/namespaces/locked/deployments', { labelSelector: 'pontoon.dev/warm-pool=locked-warm' });
      return list.items[0];
    });
    const template = deployment.spec.template.spec;
    assert.deepEqual(template.securityContext, { seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true });
    assert.deepEqual(template.containers[0].securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true });
    assert.deepEqual(template.containers[0].volumeMounts, [{ name: 'pontoon-tmp', mountPath: '/tmp' }]);
    // Scaled to one by the Scalar: the ReplicaSet's pod passed PodSecurity admission.
    const pod = await eventually('a replica pod', async () => {
      const pods = await cluster.api.get<any>('/api/v1/namespaces/locked/pods', { labelSelector: 'pontoon.dev/warm-pool=locked-warm' });
      return pods.items[0];
    });
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal((await controller.request('DELETE', '/v1/namespaces/locked/functions/locked-warm')).status < 300, true);
  });

  it('deploys a warm function as a Deployment owned by its Function, sized by the Scalar through the scale subresource, whose replicas complete executions, and is collected with the function', async () => {
    // Its secret is a Secret of its namespace that the pods reference: the value never passes through Pontoon.
    await cluster.api.create('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'doubler-db' }, stringData: { password: 'pa55' } } as any);
    const document = warmFunction('doubler');
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/doubler', { ...document, spec: { ...document.spec, warm: { ...document.spec.warm, prefetch: 1 }, secrets: [{ name: 'DB_PASSWORD', from: { secret: 'doubler-db', key: 'password' } }] } });
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    const name = 'pontoon-warm-doubler-v1';

    // The Deployment, at zero replicas while nothing is queued.
    const deployment = await eventually('the Deployment of the warm pool', async () => {
      try {
        return await cluster.api.get<any>(`${deployments}/${name}`);
      } catch (thrown) {
        if (isKubeStatus(thrown, 404)) return undefined;
        throw thrown;
      }
    });
    const fn = await cluster.api.get<any>('/apis/pontoon.dev/v1/namespaces/default/functions/doubler');
    assert.deepEqual(
      deployment.metadata.ownerReferences.map((owner: any) => [owner.kind, owner.name, owner.uid]),
      [['Function', 'doubler', fn.metadata.uid]],
    );
    assert.equal(deployment.metadata.labels['app.kubernetes.io/managed-by'], 'pontoon');
    const container: Container = deployment.spec.template.spec.containers[0];
    assert.equal(container.image, 'registry.example/doubler:1.0');
    assert.deepEqual((container as any).command, ['node', '/app/replica.js']);
    assert.deepEqual(container.resources.limits, { memory: '256Mi' });
    const byName = new Map(container.env.map((entry) => [entry.name, entry]));
    assert.equal(byName.get('GREETING')?.value, 'hello');
    assert.match(byName.get('PONTOON_RUNTIME_API')?.value ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(byName.get('PONTOON_REPLICA_CONCURRENCY')?.value, '2');
    assert.equal(byName.get('PONTOON_REPLICA_PREFETCH')?.value, '1');
    assert.equal(byName.get('PONTOON_VERSION')?.value, '1');
    assert.deepEqual(byName.get('PONTOON_REPLICA_TOKEN')?.valueFrom, { secretKeyRef: { name, key: 'token' } });
    assert.deepEqual(byName.get('DB_PASSWORD'), { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'doubler-db', key: 'password' } } });
    assert.deepEqual(byName.get('PONTOON_REPLICA_ID')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await scaleOf(name), 0, 'no replica while nothing is queued');

    // Queued work: the Scalar wants ceil(3 / concurrency 2) = 2 replicas, and says so through the scale subresource.
    const ids = await Promise.all([1, 2, 3].map((n) => controller.invoke('default', 'doubler', { n })));
    await eventually('the pool scaled to 2', async () => ((await scaleOf(name)) === 2 ? true : undefined));
    assert.equal(deployment.spec.replicas, 0);

    // A wrong token is refused before anything is handed out.
    const env = await podEnv(container);
    const refused = await fetch(`http://${env.PONTOON_RUNTIME_API}/v1/invocations/next?wait=0`, { headers: { authorization: 'Bearer not-the-token' } });
    assert.equal(refused.status, 401);

    // A replica, as the pod would run it, with the pod template's environment.
    const player = spawn(process.execPath, [playerMain], { env: { ...env, PATH: process.env.PATH, PLAYER_LIMIT_MS: '60000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    player.stdout.on('data', (chunk) => (output += chunk));
    player.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((r) => player.on('exit', (code) => r(code)));
    try {
      for (const [index, id] of ids.entries()) {
        const done = await controller.waitFor(id, 'default', (execution) => execution.status !== 'queued' && execution.status !== 'running');
        assert.equal(done.status, 'succeeded', `${JSON.stringify(done)}\n${output}`);
        assert.deepEqual(done.result, { doubled: (index + 1) * 2 });
      }
      // Idle for idleTimeout (3 s): back to zero.
      await eventually('the pool back to zero', async () => ((await scaleOf(name)) === 0 ? true : undefined), 30_000);
    } finally {
      player.kill();
      await exited;
    }

    // Deleting the function deletes its Function resource; the garbage collector removes what it owns.
    const deleted = await controller.request('DELETE', '/v1/namespaces/default/functions/doubler');
    assert.ok(deleted.status < 300, JSON.stringify(deleted.body));
    await eventually(
      'the Deployment and Secret collected',
      async () => {
        const gone = async (path: string) => cluster.api.get(path).then(() => false, (thrown) => isKubeStatus(thrown, 404));
        return (await gone(`${deployments}/${name}`)) && (await gone(`/api/v1/namespaces/default/secrets/${name}`)) ? true : undefined;
      },
      60_000,
    );
  });
});
