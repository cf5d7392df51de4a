import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { clusterStartTimeoutMs, controlPlaneMissing, eventually, repoRoot, startCluster, type TestCluster } from './control-plane.js';
import { clusterOptions, dataDir, removeDir, startController, type TestController } from './controller.js';
import { attemptJob, containerEnv, playSidecarAttempt, podVolume, runningPod, startObserver } from './pods.js';

const skip = controlPlaneMissing();
const distSrc = resolve(fileURLToPath(import.meta.url), '../../../src');
const terminal = (execution: any) => ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(execution.status);

/** Runs a compiled entry point as a container would, with only the container's environment (and PATH). */
function runContainer(main: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    }),
  );
}

const initNames = (job: any) => job.spec.template.spec.initContainers.map((container: { name: string }) => container.name);
const envOf = (container: any) => Object.fromEntries(container.env.map((variable: { name: string; value: string }) => [variable.name, variable.value]));
const containerNamed = (job: any, name: string) => [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers].find((container: any) => container.name === name);

describe('uploaded packages on a real Kubernetes API server', { skip }, () => {
  let cluster: TestCluster;
  let controller: TestController;
  const dirs: string[] = [];
  const packages: Record<string, string> = {};

  before(async () => {
    cluster = await startCluster();
    const dir = dataDir();
    dirs.push(dir);
    controller = await startController(clusterOptions(cluster.kubeconfig, dir, { kubernetes: { runtimeImagePrefix: 'registry.example/pontoon' } }));
    // The examples' spec files, unchanged, as `pontoon up` deploys them: the CLI uploads each source.
    for (const runtime of ['node', 'python', 'java', 'go']) {
      const deployed = await runCli(['deploy', '-f', join(repoRoot, 'examples', `primes-${runtime}`, 'function.yaml')], { env: { PONTOON_URL: controller.url }, timeoutMs: 240_000 });
      assert.equal(deployed.code, 0, deployed.stderr);
      const { body } = await controller.request('GET', `/v1/namespaces/default/functions/primes-${runtime}`);
      packages[runtime] = body.spec.package.sha256;
    }
  }, { timeout: clusterStartTimeoutMs + 600_000 });

  after(async () => {
    await controller?.close();
    await cluster?.stop();
    dirs.forEach(removeDir);
  });

  for (const runtime of ['node', 'python', 'java', 'go']) {
    it(`runs a ${runtime} function with no image in the ${runtime} runtime image, its package fetched by an init container and checked against its hash`, async () => {
      const id = await controller.invoke('default', `primes-${runtime}`, [1, 20]);
      const job = await attemptJob(cluster.api, 'default', id, 1);
      assert.deepEqual(initNames(job), ['pontoon-input', 'pontoon-package', 'pontoon-observer']);
      const fn = containerNamed(job, 'function');
      assert.equal(fn.image, `registry.example/pontoon/pontoon-runtime-${runtime}:0.1.0`);
      assert.equal(fn.command, undefined, 'the runtime image’s own entry point runs');
      const fnEnv = envOf(fn);
      assert.equal(fnEnv.PONTOON_RUNTIME, runtime);
      assert.equal(fnEnv.PONTOON_PACKAGE_DIR, '/pontoon/app');
      const fetcher = containerNamed(job, 'pontoon-package');
      assert.deepEqual(fetcher.args, ['package']);
      const fetchEnv = envOf(fetcher);
      assert.equal(fetchEnv.PONTOON_PACKAGE_SHA256, packages[runtime]);
      assert.match(fetchEnv.PONTOON_PACKAGE_URL, new RegExp(`/v1/attempts/${id}/1/package/${packages[runtime]}$`));
      assert.equal(fetchEnv.PONTOON_PACKAGE_TOKEN, envOf(containerNamed(job, 'pontoon-observer')).PONTOON_ATTEMPT_TOKEN);
      await controller.request('POST', `/v1/namespaces/default/executions/${id}/cancel`);
    });
  }

  it('plays a python attempt’s pod end to end: input, package fetch, the runtime image’s launcher, the observer’s report', async () => {
    const id = await controller.invoke('default', 'primes-python', [1, 20]);
    const job = await attemptJob(cluster.api, 'default', id, 1);
    const pod = await runningPod(cluster.api, 'default', id, 1);
    const volume = podVolume();
    dirs.push(volume);
    const input = startObserver('input', containerEnv(job, 'pontoon-input', volume));
    assert.equal(await input.exited, 0, input.stderr());
    const fetched = await runContainer(join(distSrc, 'observer/pod/main.js'), ['package'], containerEnv(job, 'pontoon-package', volume));
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.ok(existsSync(join(volume, 'app', 'primes.py')), 'the package was unpacked into the shared volume');
    const functionEnv = containerEnv(job, 'function', volume);
    const launched = await runContainer(join(distSrc, 'runtimes/pod-launch.js'), [], { ...functionEnv, PONTOON_BUILD_DIR: join(volume, 'builds') });
    assert.equal(launched.code, 0, launched.stderr);
    const output = readFileSync(functionEnv.PONTOON_OUTPUT, 'utf8');
    await playSidecarAttempt(cluster.api, job, pod, volume, { exitCode: 0, output });
    const execution = await controller.waitFor(id, 'default', terminal);
    assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
    assert.deepEqual(execution.result, [2, 3, 5, 7, 11, 13, 17, 19]);
  });

  it('refuses a fetch with a wrong token, for a wrong hash, or with another attempt’s token', async () => {
    const first = await controller.invoke('default', 'primes-python', [1, 5]);
    const second = await controller.invoke('default', 'primes-node', [1, 5]);
    const firstEnv = envOf(containerNamed(await attemptJob(cluster.api, 'default', first, 1), 'pontoon-package'));
    const secondEnv = envOf(containerNamed(await attemptJob(cluster.api, 'default', second, 1), 'pontoon-package'));
    const get = async (url: string, token: string) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status;
    assert.equal(await get(firstEnv.PONTOON_PACKAGE_URL, firstEnv.PONTOON_PACKAGE_TOKEN), 200);
    assert.equal(await get(firstEnv.PONTOON_PACKAGE_URL, 'not-the-token'), 401);
    assert.equal(await get(firstEnv.PONTOON_PACKAGE_URL, secondEnv.PONTOON_PACKAGE_TOKEN), 401, 'another attempt’s token');
    // The first attempt's own token, asking for the package of another function.
    assert.equal(await get(firstEnv.PONTOON_PACKAGE_URL.replace(packages.python, packages.node), firstEnv.PONTOON_PACKAGE_TOKEN), 403);
    // A wrong hash never reaches a pod's volume: the init container refuses what does not match.
    const volume = podVolume();
    dirs.push(volume);
    const job = await attemptJob(cluster.api, 'default', first, 1);
    const tampered = await runContainer(join(distSrc, 'observer/pod/main.js'), ['package'], { ...containerEnv(job, 'pontoon-package', volume), PONTOON_PACKAGE_SHA256: 'f'.repeat(64) });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /refusing to run it/);
    assert.equal(existsSync(join(volume, 'app')), false);
    for (const id of [first, second]) await controller.request('POST', `/v1/namespaces/default/executions/${id}/cancel`);
  });

  it('gives a warm pool’s Deployment the same runtime image and package fetch, through the runtime API with the pool’s token', async () => {
    const spec = { runtime: 'python', package: { sha256: packages.python }, handler: 'primes.primes', timeout: '1m', retry: { limit: 0 }, warm: { min: 1, max: 1, idleTimeout: '1m' } };
    const put = await controller.request('PUT', '/v1/namespaces/default/functions/warm-primes', { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'warm-primes' }, spec });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const name = 'pontoon-warm-warm-primes-v1';
    const deployment = await eventually('the pool Deployment', async () => {
      try {
        return await cluster.api.get<any>(`/apis/apps/v1/namespaces/default/deployments/${name}`);
      } catch {
        return undefined;
      }
    });
    const pod = deployment.spec.template.spec;
    assert.equal(pod.containers[0].image, 'registry.example/pontoon/pontoon-runtime-python:0.1.0');
    assert.equal(envOf({ env: pod.containers[0].env.filter((v: any) => v.value !== undefined) }).PONTOON_RUNTIME, 'python');
    assert.deepEqual(pod.initContainers.map((c: any) => c.name), ['pontoon-package']);
    const fetcher = pod.initContainers[0];
    const url = fetcher.env.find((v: any) => v.name === 'PONTOON_PACKAGE_URL').value;
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/v1/package/${packages.python}$`));
    assert.equal(fetcher.env.find((v: any) => v.name === 'PONTOON_PACKAGE_SHA256').value, packages.python);
    assert.deepEqual(fetcher.env.find((v: any) => v.name === 'PONTOON_PACKAGE_TOKEN').valueFrom, { secretKeyRef: { name, key: 'token' } });
    const secret = await cluster.api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/default/secrets/${name}`);
    const token = Buffer.from(secret.data.token, 'base64').toString('utf8');
    const get = async (at: string, bearer: string) => (await fetch(at, { headers: { authorization: `Bearer ${bearer}` } })).status;
    assert.equal(await get(url, token), 200);
    assert.equal(await get(url, 'not-the-token'), 401);
    assert.equal(await get(url.replace(packages.python, packages.node), token), 403);
    await controller.request('DELETE', '/v1/namespaces/default/functions/warm-primes');
  });

  it('uses spec.image when given, with no package fetch', async () => {
    const { body } = await controller.request('PUT', '/v1/namespaces/default/functions/imaged', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'imaged' },
      spec: { runtime: 'python', image: 'registry.example/mine:1', package: { sha256: packages.python }, handler: 'primes.primes', timeout: '1m', retry: { limit: 0 } },
    });
    assert.equal(body.spec.package.sha256, packages.python);
    const id = await controller.invoke('default', 'imaged', [1, 5]);
    const job = await attemptJob(cluster.api, 'default', id, 1);
    assert.deepEqual(initNames(job), ['pontoon-input', 'pontoon-observer']);
    assert.equal(containerNamed(job, 'function').image, 'registry.example/mine:1');
    await controller.request('POST', `/v1/namespaces/default/executions/${id}/cancel`);
  });
});
