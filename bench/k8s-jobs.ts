/**
 * Invocations turned into Jobs per second against a real API server (the test control plane of
 * scripts/k8s), as a ratio to creating the same Jobs with @kubernetes/client-node directly, in
 * the same run (and to creating them with Pontoon's own keep-alive transport, which isolates the
 * engine's overhead from the client's). Both sides are timed the same way: from the first request until a watch on the
 * namespace has seen every Job. Rounds alternate (direct, Pontoon, direct, Pontoon, …) so that
 * the API server's warm-up and the Job controller's backlog weigh on both; the median of each is
 * reported. Run: `node dist/bench/k8s-jobs.js [jobs=200] [rounds=3]` (starts its own control
 * plane when the binaries are cached; or set KUBECONFIG to a test control plane).
 */
import { runtimeImages } from '../src/executors/kubernetes/package-fetch.js';
import { BatchV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPontoon } from '../src/app/start.js';
import { attemptJob, type JobSettings } from '../src/executors/kubernetes/job-manifest.js';
import { validateFunctionDocument } from '../src/domain/validate-spec.js';
import { KubeApi, loadKubeConfig, type KubeObject } from '../src/kubernetes/kube-api.js';
import { WatchedObjects } from '../src/kubernetes/watched-objects.js';
import { controlPlaneMissing, startCluster, type TestCluster } from '../test/kubernetes/control-plane.js';
import { median } from './lib/stats.js';

const jobs = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 3);
/** Requests in flight on the direct side; Pontoon's engine launches as many as its capacity allows. */
const concurrency = 16;

const spec = { runtime: 'command', image: 'registry.example/bench:1', command: ['true'], timeout: '10m', parallelism: 10_000, retry: { limit: 0 } };

/** Resolves once a watch on `namespace` has seen `count` Jobs; answers the time that took from `since`. */
async function watchJobs(api: KubeApi, namespace: string, count: number): Promise<{ ready: Promise<void>; done: Promise<number>; stop(): Promise<void> }> {
  const seen = new Set<string>();
  let finish!: (at: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const watch = new WatchedObjects<any>(api, `/apis/batch/v1/namespaces/${namespace}/jobs`, {
    changed: (job) => {
      seen.add(job.metadata.name);
      if (seen.size === count) finish(performance.now());
    },
    deleted: () => {},
  });
  const ready = watch.start();
  return { ready, done, stop: () => watch.stop() };
}

async function namespace(api: KubeApi, name: string): Promise<void> {
  await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  // The service account controller must have made `default` before pods can be created.
  for (let i = 0; i < 100; i++) {
    try {
      await api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Creates `jobs` Jobs shaped like Pontoon's, `concurrency` at a time: with the generated client
 * (`client`), or with the same keep-alive JSON transport Pontoon uses (`transport`), which tells
 * Pontoon's own overhead apart from the client's.
 */
async function direct(api: KubeApi, ns: string, via: 'client' | 'transport'): Promise<number> {
  const batch = api.config.makeApiClient(BatchV1Api);
  const create = (manifest: KubeObject) =>
    via === 'client' ? batch.createNamespacedJob({ namespace: ns, body: manifest as never }) : api.create(`/apis/batch/v1/namespaces/${ns}/jobs`, manifest);
  const document = validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'bench', namespace: ns }, spec });
  const settings: JobSettings = {
    observerImage: 'ghcr.io/pontoon-dev/pontoon-observer:0.1.0',
    controllerUrl: 'http://127.0.0.1:1',
    controllerId: 'direct',
    runtimeImages: runtimeImages(),
    ttlSecondsAfterFinished: 600,
    graceSeconds: 10,
    resultLimitBytes: 1024 * 1024,
    heartbeatMs: 5000,
    inlineInputLimitBytes: 128 * 1024,
  };
  const manifests = Array.from({ length: jobs }, (_, i) => {
    const now = new Date().toISOString();
    const claimed = {
      execution: { id: randomUUID(), namespace: ns, function: 'bench', version: 1, status: 'running' as const, priority: 0, input: i, result: null, error: null, idempotencyKey: null, callbackUrl: null, createdAt: now, startedAt: now, finishedAt: null, notBefore: null, concurrencyKey: null, attempts: [] },
      attempt: 1,
      function: { namespace: ns, name: 'bench', version: 1, document, createdAt: now },
      leaseExpiresAt: now,
    };
    return attemptJob(claimed, 'token', settings, new Date());
  });
  const watch = await watchJobs(api, ns, jobs);
  await watch.ready;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < manifests.length) {
        const manifest = manifests[next++];
        await create(manifest);
      }
    }),
  );
  const ended = await watch.done;
  await watch.stop();
  return jobs / ((ended - started) / 1000);
}

/** Deploys a function with Pontoon on this cluster and batch-invokes it `jobs` times. */
async function throughPontoon(api: KubeApi, kubeconfig: string, ns: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-bench-k8s-'));
  const pontoon = await startPontoon({
    port: 0,
    dataDir,
    logLevel: 'warn',
    capacity: jobs,
    executor: 'kubernetes',
    kubernetes: { kubeconfig, observerPort: 0, controllerId: `bench-${ns}`, resyncMs: 60_000 },
  });
  try {
    const put = await fetch(`${pontoon.url}/v1/namespaces/${ns}/functions/bench`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'bench' }, spec }),
    });
    if (put.status >= 300) throw new Error(`deploy answered ${put.status}: ${await put.text()}`);
    const watch = await watchJobs(api, ns, jobs);
    await watch.ready;
    const started = performance.now();
    const answer = await fetch(`${pontoon.url}/v1/namespaces/${ns}/functions/bench/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: Array.from({ length: jobs }, (_, i) => i) }),
    });
    if (answer.status !== 202) throw new Error(`batch answered ${answer.status}: ${await answer.text()}`);
    if (process.env.PONTOON_BENCH_DEBUG) console.error(`batch stored after ${(performance.now() - started).toFixed(0)} ms`);
    const ended = await watch.done;
    await watch.stop();
    return jobs / ((ended - started) / 1000);
  } finally {
    await pontoon.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs the comparison; answers jobs per second of each side and their ratio. */
export async function k8sJobs(): Promise<Record<string, unknown>> {
  let cluster: TestCluster | undefined;
  let kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    const missing = controlPlaneMissing();
    if (missing) return { skipped: missing };
    cluster = await startCluster();
    kubeconfig = cluster.kubeconfig;
  }
  const api = new KubeApi(loadKubeConfig(kubeconfig));
  try {
    const rates = { client: [] as number[], transport: [] as number[], pontoon: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      const suffix = randomUUID().slice(0, 6);
      for (const side of ['client', 'transport', 'pontoon'] as const) {
        const ns = `bench-${side}-${suffix}`;
        await namespace(api, ns);
        rates[side].push(side === 'pontoon' ? await throughPontoon(api, kubeconfig, ns) : await direct(api, ns, side));
        // Each side's Jobs go with their namespace, so the next starts from an equal backlog.
        await api.delete(`/api/v1/namespaces/${ns}`);
      }
      console.error(`round ${round}: client ${rates.client.at(-1)!.toFixed(1)}, transport ${rates.transport.at(-1)!.toFixed(1)}, Pontoon ${rates.pontoon.at(-1)!.toFixed(1)} Jobs/s`);
    }
    const [client, transport, pontoon] = [median(rates.client), median(rates.transport), median(rates.pontoon)];
    return {
      jobs,
      rounds,
      clientJobsPerSecond: Number(client.toFixed(1)),
      transportJobsPerSecond: Number(transport.toFixed(1)),
      pontoonJobsPerSecond: Number(pontoon.toFixed(1)),
      ratioToClient: Number((pontoon / client).toFixed(2)),
      ratioToTransport: Number((pontoon / transport).toFixed(2)),
      target: 0.8,
    };
  } finally {
    api.close();
    await cluster?.stop();
  }
}

if (process.argv[1]?.endsWith('k8s-jobs.js')) {
  console.log(JSON.stringify(await k8sJobs(), null, 2));
}
