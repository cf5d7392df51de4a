import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isKubeStatus, type KubeList } from '../../src/kubernetes/kube-api.js';
import { clusterStartTimeoutMs, controlPlaneMissing, eventually, startCluster, type TestCluster } from './control-plane.js';
import { clusterOptions, dataDir, removeDir, startController, startControllerProcess, type TestController } from './controller.js';
import { attemptJob, containerEnv, endPod, playSidecarAttempt, podVolume, runningPod, startObserver, waitingPod } from './pods.js';

const skip = controlPlaneMissing();

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
const terminal = (execution: any) => ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(execution.status);

function functionDocument(name: string, spec: Record<string, unknown>, namespace = 'default') {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name, namespace },
    spec: { runtime: 'command', image: 'registry.example/primes:1.0', command: ['/bin/sh', '-c', 'echo working'], timeout: '1m', retry: { limit: 0 }, ...spec },
  };
}

describe('Pontoon on a real Kubernetes API server', { skip }, () => {
  let cluster: TestCluster;
  let controller: TestController;
  const dirs: string[] = [];

  async function deploy(name: string, spec: Record<string, unknown>, namespace = 'default') {
    const answer = await controller.request('PUT', `/v1/namespaces/${namespace}/functions/${name}`, functionDocument(name, spec, namespace));
    assert.ok(answer.status === 200 || answer.status === 201, JSON.stringify(answer.body));
    return answer.body;
  }

  /** Plays the kubelet and the containers of a successful attempt: input, program, observer report, exit 0. */
  async function succeedAttempt(namespace: string, id: string, attempt: number, result: unknown): Promise<{ input: unknown }> {
    const job = await attemptJob(cluster.api, namespace, id, attempt);
    const pod = await runningPod(cluster.api, namespace, id, attempt);
    const volume = podVolume();
    dirs.push(volume);
    const input = startObserver('input', containerEnv(job, 'pontoon-input', volume));
    assert.equal(await input.exited, 0, input.stderr());
    // The function container reads PONTOON_INPUT, which the input container wrote on the shared volume.
    const given = JSON.parse(readFileSync(containerEnv(job, 'function', volume).PONTOON_INPUT, 'utf8'));
    await playSidecarAttempt(cluster.api, job, pod, volume, { exitCode: 0, output: JSON.stringify(result) });
    return { input: given };
  }

  before(async () => {
    cluster = await startCluster();
    const dir = dataDir();
    dirs.push(dir);
    controller = await startController(clusterOptions(cluster.kubeconfig, dir));
  }, { timeout: clusterStartTimeoutMs });

  after(async () => {
    await controller?.close();
    await cluster?.stop();
    dirs.forEach(removeDir);
  });

  describe('the Function resource', () => {
    it('is accepted by the API server as generated from the spec schema, and kubectl applies a function into the registry', async () => {
      const crd = await cluster.kubectl(['get', 'crd', 'functions.pontoon.dev', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']);
      assert.equal(crd.stdout, 'True', crd.stderr);
      // As a user writes it, in YAML: kubectl reads the unquoted `on:` key as YAML 1.1's true.
      const manifest = [
        'apiVersion: pontoon.dev/v1',
        'kind: Function',
        'metadata: { name: primes, labels: { team: cost } }',
        'spec:',
        '  runtime: command',
        '  image: registry.example/primes:1.0',
        "  command: [/bin/sh, -c, 'echo working']",
        '  timeout: 1m',
        '  retry: { limit: 0, on: [failure, timeout] }',
        '  warm: { min: 1, max: 3 }',
        '  schedules: [ { cron: "*/5 * * * *", input: [1, 1000] } ]',
      ].join('\n');
      const applied = await cluster.kubectl(['apply', '-f', '-'], manifest);
      assert.equal(applied.code, 0, applied.stderr);
      const fn = await eventually('the function in the registry', async () => {
        const answer = await controller.request('GET', '/v1/namespaces/default/functions/primes');
        return answer.status === 200 ? answer.body : undefined;
      });
      assert.equal(fn.metadata.version, 1);
      assert.equal(fn.spec.image, 'registry.example/primes:1.0');
      assert.deepEqual(fn.spec.schedules[0].input, [1, 1000]);
      assert.deepEqual(fn.spec.retry.on, ['failure', 'timeout']);
      assert.deepEqual(fn.metadata.labels, { team: 'cost' });
    });

    it('is listed by kubectl get functions with runtime, schedule, warm replicas, version and last status', async () => {
      await eventually('the status version', async () => {
        const version = await cluster.kubectl(['get', 'function', 'primes', '-o', 'jsonpath={.status.version}']);
        return version.stdout === '1' ? true : undefined;
      });
      const listed = await cluster.kubectl(['get', 'functions']);
      assert.equal(listed.code, 0, listed.stderr);
      const [header, row] = listed.stdout.trim().split('\n');
      assert.match(header, /NAME\s+RUNTIME\s+SCHEDULE\s+WARM\s+VERSION\s+LAST\s+AGE/);
      assert.match(row, /^primes\s+command\s+\*\/5 \* \* \* \*\s+1\s+1\s+/);
    });

    it('applied again with a changed spec becomes a new version; unchanged, it does not', async () => {
      const changed = JSON.stringify(functionDocument('primes', { timeout: '2m', retry: { limit: 0, on: ['failure', 'timeout'] }, schedules: [{ cron: '*/5 * * * *', input: [1, 1000] }], warm: { min: 1, max: 3 } }));
      assert.equal((await cluster.kubectl(['apply', '-f', '-'], changed)).code, 0);
      const fn = await eventually('version 2', async () => {
        const answer = await controller.request('GET', '/v1/namespaces/default/functions/primes');
        return answer.body.metadata?.version === 2 ? answer.body : undefined;
      });
      assert.equal(fn.spec.timeout, '2m');
      assert.equal((await cluster.kubectl(['apply', '-f', '-'], changed)).code, 0);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await controller.request('GET', '/v1/namespaces/default/functions/primes')).body.metadata.version, 2);
    });

    it('marks a spec Pontoon rejects as Invalid with the reason, keeping the last good version', async () => {
      const bad = JSON.stringify(functionDocument('primes', { timeout: '2m', schedules: [{ cron: 'not a cron' }] }));
      assert.equal((await cluster.kubectl(['apply', '-f', '-'], bad)).code, 0);
      const status = await eventually('the Invalid phase', async () => {
        const answer = await cluster.kubectl(['get', 'function', 'primes', '-o', 'json']);
        const object = JSON.parse(answer.stdout);
        return object.status?.phase === 'Invalid' ? object.status : undefined;
      });
      assert.match(status.message, /cron/);
      assert.equal((await controller.request('GET', '/v1/namespaces/default/functions/primes')).body.metadata.version, 2);
    });

    it('is written when a function is deployed through Pontoon’s API, and deleting the resource deletes the function', async () => {
      await deploy('mirrored', { env: { LIMIT: '10' } });
      const object = await eventually('the resource', async () => {
        const answer = await cluster.kubectl(['get', 'function', 'mirrored', '-o', 'json']);
        return answer.code === 0 ? JSON.parse(answer.stdout) : undefined;
      });
      assert.deepEqual(object.spec.env, { LIMIT: '10' });
      await eventually('the Ready status', async () => {
        const answer = await cluster.kubectl(['get', 'function', 'mirrored', '-o', 'jsonpath={.status.phase}/{.status.version}']);
        return answer.stdout === 'Ready/1' ? true : undefined;
      });
      assert.equal((await cluster.kubectl(['delete', 'function', 'mirrored', '--wait=true'])).code, 0);
      await eventually('the function gone from the registry', async () => ((await controller.request('GET', '/v1/namespaces/default/functions/mirrored')).status === 404 ? true : undefined));
    });

    it('refuses with 422, naming the field, a deploy whose resource the API server refuses, and stores nothing', async () => {
      const labelled = functionDocument('cost-report', {});
      const refusedLabel = await controller.request('PUT', '/v1/namespaces/default/functions/cost-report', { ...labelled, metadata: { ...labelled.metadata, labels: { team: 'cost center' } } });
      assert.equal(refusedLabel.status, 422, JSON.stringify(refusedLabel.body));
      assert.equal(refusedLabel.body.error.code, 'INVALID_SPEC');
      const [problem] = refusedLabel.body.error.details.problems;
      assert.equal(problem.field, 'metadata.labels');
      assert.match(problem.message, /"cost center"/);
      assert.equal((await controller.request('GET', '/v1/namespaces/default/functions/cost-report')).status, 404);
      const listed = await cluster.kubectl(['get', 'function', 'cost-report']);
      assert.match(listed.stderr, /NotFound/);

      const refusedNamespace = await controller.request('PUT', '/v1/namespaces/no-such-team/functions/report', functionDocument('report', {}, 'no-such-team'));
      assert.equal(refusedNamespace.status, 422, JSON.stringify(refusedNamespace.body));
      assert.deepEqual(refusedNamespace.body.error.details.problems.map((p: any) => p.field), ['metadata.namespace']);
      assert.match(refusedNamespace.body.error.message, /no-such-team/);
      assert.equal((await controller.request('GET', '/v1/namespaces/no-such-team/functions/report')).status, 404);

      // An update the API server refuses keeps the version in force.
      await deploy('cost-report', {});
      const refusedUpdate = await controller.request('PUT', '/v1/namespaces/default/functions/cost-report', { ...labelled, metadata: { ...labelled.metadata, labels: { team: 'cost center' } }, spec: { ...labelled.spec, timeout: '2m' } });
      assert.equal(refusedUpdate.status, 422);
      const kept = await controller.request('GET', '/v1/namespaces/default/functions/cost-report');
      assert.equal(kept.body.metadata.version, 1);
      assert.equal(kept.body.spec.timeout, '1m');
    });

    it('is deleted when the function is deleted through Pontoon’s API', async () => {
      await deploy('short-lived', {});
      await eventually('the Ready status', async () => {
        const answer = await cluster.kubectl(['get', 'function', 'short-lived', '-o', 'jsonpath={.status.phase}']);
        return answer.stdout === 'Ready' ? true : undefined;
      });
      assert.equal((await controller.request('DELETE', '/v1/namespaces/default/functions/short-lived')).status, 200);
      await eventually('the resource gone', async () => {
        const answer = await cluster.kubectl(['get', 'function', 'short-lived']);
        return answer.code !== 0 && /NotFound/.test(answer.stderr) ? true : undefined;
      });
    });
  });

  describe('an invocation', () => {
    it('becomes a Job with the attempt’s labels, no retries of its own, the deadline, resources, a TTL and the observer beside the function', async () => {
      await deploy('shaped', { timeout: '90s', resources: { memory: '64Mi', cpu: '250m' }, serviceAccountName: 'default', env: { LIMIT: '1000' } });
      const id = await controller.invoke('default', 'shaped', { n: 7 });
      const job = await attemptJob(cluster.api, 'default', id, 1);
      assert.equal(job.metadata?.labels?.['pontoon.dev/function'], 'shaped');
      assert.equal(job.metadata?.labels?.['pontoon.dev/execution'], id);
      assert.equal(job.metadata?.labels?.['pontoon.dev/attempt'], '1');
      assert.equal(job.spec.backoffLimit, 0);
      assert.equal(job.spec.activeDeadlineSeconds, 90);
      assert.equal(job.spec.ttlSecondsAfterFinished, 600);
      const pod = job.spec.template.spec;
      assert.equal(pod.restartPolicy, 'Never');
      assert.equal(pod.serviceAccountName, 'default');
      assert.deepEqual(pod.containers.map((c: any) => c.name), ['function']);
      assert.deepEqual(pod.containers[0].resources, { limits: { memory: '64Mi', cpu: '250m' }, requests: { memory: '64Mi', cpu: '250m' } });
      assert.deepEqual(pod.containers[0].command, ['/bin/sh', '-c', 'echo working']);
      assert.deepEqual(pod.initContainers.map((c: any) => [c.name, c.restartPolicy ?? null]), [['pontoon-input', null], ['pontoon-observer', 'Always']]);
      const env = Object.fromEntries(pod.containers[0].env.map((v: any) => [v.name, v.value]));
      assert.equal(env.LIMIT, '1000');
      assert.equal(env.PONTOON_INPUT, '/pontoon/input.json');
      assert.equal(env.PONTOON_EXECUTION_ID, id);
      assert.equal(env.TRACEPARENT, undefined, 'no trace context without tracing or an incoming traceparent');
      // The API server's own view: the pod it made from the template is scheduled on the fake node and runs.
      const running = await runningPod(cluster.api, 'default', id, 1);
      assert.equal(running.spec?.nodeName, 'kwok-node-0');
      const { input } = await succeedAttempt('default', id, 1, { ok: true });
      assert.deepEqual(input, { n: 7 });
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
      assert.deepEqual(execution.result, { ok: true });
    });

    it('runs its pod restricted (non-root, read-only root with a writable /tmp, no escalation, no capabilities, default seccomp), admitted where the restricted Pod Security Standard is enforced', async () => {
      await cluster.api.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
      });
      await deploy('locked-down', {}, 'locked');
      const id = await controller.invoke('locked', 'locked-down', null);
      const job = await attemptJob(cluster.api, 'locked', id, 1);
      const pod = job.spec.template.spec;
      assert.deepEqual(pod.securityContext, { seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true });
      const drop = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
      assert.deepEqual(pod.containers[0].securityContext, { ...drop, runAsNonRoot: true, readOnlyRootFilesystem: true });
      assert.deepEqual(pod.containers[0].volumeMounts.find((mount: any) => mount.mountPath === '/tmp'), { name: 'pontoon-tmp', mountPath: '/tmp' });
      assert.deepEqual(pod.volumes.find((volume: any) => volume.name === 'pontoon-tmp'), { name: 'pontoon-tmp', emptyDir: {} });
      for (const observer of pod.initContainers) {
        assert.deepEqual(observer.securityContext, { ...drop, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true });
      }
      // The Job controller's pod passed the API server's PodSecurity admission.
      const running = await runningPod(cluster.api, 'locked', id, 1);
      assert.equal(running.spec?.nodeName, 'kwok-node-0');
      await controller.request('POST', `/v1/namespaces/locked/executions/${id}/cancel`);
    });

    it('runs a spec.podSecurity baseline function as it asks (root, writable root), which a restricted namespace refuses', async () => {
      await deploy('needs-root', { podSecurity: { profile: 'baseline', runAsUser: 0 } }, 'locked');
      const id = await controller.invoke('locked', 'needs-root', null);
      const job = await attemptJob(cluster.api, 'locked', id, 1);
      const pod = job.spec.template.spec;
      assert.deepEqual(pod.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
      assert.deepEqual(pod.containers[0].securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, runAsUser: 0 });
      // The Job controller cannot make its pod there: PodSecurity refuses it (FailedCreate events).
      await eventually('the Job controller to report the refused pod', async () => {
        const events = await cluster.api.get<any>('/api/v1/namespaces/locked/events', { fieldSelector: `involvedObject.name=${job.metadata?.name}` });
        return events.items.find((event: any) => event.reason === 'FailedCreate' && /violates PodSecurity "restricted/.test(event.message)) ? true : undefined;
      }, 20_000);
      await controller.request('POST', `/v1/namespaces/locked/executions/${id}/cancel`);
      const refused = await controller.request('PUT', '/v1/namespaces/locked/functions/root-restricted', functionDocument('root-restricted', { podSecurity: { runAsUser: 0 } }, 'locked'));
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.details.problems[0].field, 'spec.podSecurity.runAsUser');
    });

    it('hands the function container the trace context of the invocation in its env (TRACEPARENT, TRACESTATE)', async () => {
      await deploy('traced', {});
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const invoked = await controller.request('POST', '/v1/namespaces/default/functions/traced/invoke', null, { traceparent, tracestate: 'vendor=abc' });
      assert.equal(invoked.status, 202, JSON.stringify(invoked.body));
      const id = invoked.body.id;
      const job = await attemptJob(cluster.api, 'default', id, 1);
      const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((v: any) => [v.name, v.value]));
      // This controller traces nothing, so the caller's context reaches the program unchanged.
      assert.equal(env.TRACEPARENT, traceparent);
      assert.equal(env.TRACESTATE, 'vendor=abc');
      await runningPod(cluster.api, 'default', id, 1);
      await succeedAttempt('default', id, 1, null);
      assert.equal((await controller.waitFor(id, 'default', terminal)).status, 'succeeded');
    });

    it('fails with the program’s own message when its container exits non-zero', async () => {
      await deploy('failing', {});
      const id = await controller.invoke('default', 'failing', null);
      const job = await attemptJob(cluster.api, 'default', id, 1);
      const pod = await runningPod(cluster.api, 'default', id, 1);
      const volume = podVolume();
      dirs.push(volume);
      await playSidecarAttempt(cluster.api, job, pod, volume, { exitCode: 3, error: 'input must be a list' });
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.equal(execution.status, 'failed');
      assert.deepEqual(
        execution.attempts.map((a: any) => [a.status, a.exitCode, a.reason, a.error]),
        [['failed', 3, 'Error', 'input must be a list']],
      );
    });

    it('turns an OOMKilled container into an OOMKilled attempt error, and the retry policy starts another Job', async () => {
      await deploy('hungry', { resources: { memory: '32Mi' }, retry: { limit: 1, on: ['failure'], backoff: { initial: '100ms', jitter: false } } });
      const id = await controller.invoke('default', 'hungry', null);
      const pod = await runningPod(cluster.api, 'default', id, 1);
      await endPod(cluster.api, pod, 137, 'OOMKilled');
      await succeedAttempt('default', id, 2, 'second time lucky');
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.equal(execution.status, 'succeeded');
      assert.deepEqual(
        execution.attempts.map((a: any) => [a.number, a.status, a.reason]),
        [
          [1, 'failed', 'OOMKilled'],
          [2, 'succeeded', null],
        ],
      );
      assert.equal(execution.attempts[0].error, 'memory limit 32Mi exceeded (OOMKilled)');
    });

    it('times out when the Job passes its deadline, and is retried by policy', async () => {
      await deploy('slow', { timeout: '2s', retry: { limit: 1, on: ['timeout'], backoff: { initial: '100ms', jitter: false } } });
      const id = await controller.invoke('default', 'slow', null);
      const execution = await controller.waitFor(id, 'default', terminal, 90_000);
      assert.equal(execution.status, 'timed_out');
      assert.deepEqual(
        execution.attempts.map((a: any) => [a.number, a.status, a.reason]),
        [
          [1, 'timed_out', 'DeadlineExceeded'],
          [2, 'timed_out', 'DeadlineExceeded'],
        ],
      );
      const jobs = await cluster.api.get<KubeList<any>>('/apis/batch/v1/namespaces/default/jobs', { labelSelector: `pontoon.dev/execution=${id}` });
      // The Job controller's own verdict on both Jobs: their deadline passed.
      assert.equal(jobs.items.length, 2);
      for (const job of jobs.items) {
        assert.ok(job.status.conditions.some((c: any) => ['Failed', 'FailureTarget'].includes(c.type) && c.reason === 'DeadlineExceeded'), JSON.stringify(job.status));
      }
    });

    it('fails an image that cannot be pulled as ImagePullError and deletes its Job', async () => {
      await deploy('no-image', { image: 'registry.example/does-not-exist:0' });
      const id = await controller.invoke('default', 'no-image', null);
      const pod = await runningPod(cluster.api, 'default', id, 1);
      await waitingPod(cluster.api, pod, 'ImagePullBackOff', 'Back-off pulling image "registry.example/does-not-exist:0"');
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.equal(execution.attempts[0].reason, 'ImagePullError');
      assert.match(execution.attempts[0].error, /does-not-exist/);
      await eventually('the Job deleted', async () => {
        const jobs = await cluster.api.get<KubeList<any>>('/apis/batch/v1/namespaces/default/jobs', { labelSelector: `pontoon.dev/execution=${id}` });
        return jobs.items.every((job) => job.metadata.deletionTimestamp) ? true : undefined;
      });
    });

    it('takes spec.secrets from Secrets of its namespace by reference, never by value; a missing one fails the attempt as StartFailed and deletes its Job', async () => {
      await deploy('with-secret', { secrets: [{ name: 'DB_PASSWORD', from: { secret: 'db', key: 'password' } }] });
      const id = await controller.invoke('default', 'with-secret', null);
      const job = await attemptJob(cluster.api, 'default', id, 1);
      const reference = { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } };
      assert.deepEqual(job.spec.template.spec.containers[0].env.find((variable: any) => variable.name === 'DB_PASSWORD'), reference);
      // The pod the API server made from the template carries the reference the kubelet resolves.
      const pod = await runningPod(cluster.api, 'default', id, 1);
      assert.deepEqual((pod.spec as any).containers[0].env.find((variable: any) => variable.name === 'DB_PASSWORD'), reference);
      await waitingPod(cluster.api, pod, 'CreateContainerConfigError', 'secret "db" not found');
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.equal(execution.status, 'failed');
      assert.equal(execution.attempts[0].reason, 'StartFailed');
      assert.match(execution.attempts[0].error, /CreateContainerConfigError .*secret "db" not found/);
      await eventually('the Job deleted', async () => {
        const jobs = await cluster.api.get<KubeList<any>>('/apis/batch/v1/namespaces/default/jobs', { labelSelector: `pontoon.dev/execution=${id}` });
        return jobs.items.every((job) => job.metadata.deletionTimestamp) ? true : undefined;
      });
    });

    it('fails an evicted pod as Evicted, with the kubelet’s message', async () => {
      await deploy('evicted', {});
      const id = await controller.invoke('default', 'evicted', null);
      const pod = await runningPod(cluster.api, 'default', id, 1);
      await cluster.api.patch(`/api/v1/namespaces/default/pods/${pod.metadata?.name}/status`, 'merge', {
        status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
      });
      const execution = await controller.waitFor(id, 'default', terminal);
      assert.deepEqual(
        execution.attempts.map((a: any) => [a.status, a.reason, a.error]),
        [['failed', 'Evicted', 'the pod was evicted: The node was low on resource: memory.']],
      );
    });

    it('keeps the pod’s log with the attempt, read through the API server before the pod is collected', async () => {
      // kwok serves a fixed container log for pods in this namespace (scripts/k8s/control-plane.sh).
      await cluster.api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'function-logs' } });
      await eventually('the namespace’s service account', () => cluster.api.get('/api/v1/namespaces/function-logs/serviceaccounts/default'));
      await deploy('chatty', {}, 'function-logs');
      const id = await controller.invoke('function-logs', 'chatty', null);
      await succeedAttempt('function-logs', id, 1, 42);
      await controller.waitFor(id, 'function-logs', terminal);
      const logs = await controller.request('GET', `/v1/namespaces/function-logs/executions/${id}/logs`);
      const lines = logs.body.items.filter((line: any) => line.stream !== 'system').map((line: any) => line.line);
      assert.deepEqual(lines, ['hello from the function', 'result computed', 'a warning on stderr']);
    });

    it('is adopted by its restarted controller, after kill -9 or a shutdown, while its Job runs on; an attempt whose Job is gone is lost', async () => {
      const dir = dataDir();
      dirs.push(dir);
      // Pods report to the controller's URL: the restarted controller must listen where the first did.
      const options = clusterOptions(cluster.kubeconfig, dir, { lease: '15s', kubernetes: { controllerId: 'restarting-controller', observerPort: await freePort(), runtimeApiPort: await freePort() } });
      let restarting = await startControllerProcess(options);
      try {
        // kwok serves a fixed container log in function-logs (scripts/k8s/control-plane.sh): the
        // restarted controller reads it again from the start and must not store it twice.
        await cluster.api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'function-logs' } }).catch((thrown) => {
          if (!isKubeStatus(thrown, 409)) throw thrown;
        });
        await eventually('the namespace’s service account', () => cluster.api.get('/api/v1/namespaces/function-logs/serviceaccounts/default'));
        for (const namespace of ['default', 'function-logs']) {
          const deployed = await restarting.request('PUT', `/v1/namespaces/${namespace}/functions/durable`, functionDocument('durable', { retry: { limit: 2, on: ['lost'], backoff: { initial: '100ms' } } }, namespace));
          assert.ok(deployed.status < 300, JSON.stringify(deployed.body));
        }
        const killed = await restarting.invoke('function-logs', 'durable', { keep: 'me' });
        const gone = await restarting.invoke('default', 'durable', 'gone');
        await runningPod(cluster.api, 'function-logs', killed, 1);
        const goneJob = await attemptJob(cluster.api, 'default', gone, 1);
        const programLines = async (controller: TestController, id: string) =>
          (await controller.request('GET', `/v1/namespaces/function-logs/executions/${id}/logs`)).body.items.filter((line: any) => line.stream !== 'system').map((line: any) => line.line);
        await eventually('the log stored', async () => ((await programLines(restarting, killed)).length === 3 ? true : undefined));
        await restarting.kill();
        // While no controller runs, one Job is deleted: its attempt is really gone.
        await cluster.api.delete(`/apis/batch/v1/namespaces/default/jobs/${goneJob.metadata?.name}`);
        restarting = await startControllerProcess(options);

        const { input } = await succeedAttempt('function-logs', killed, 1, 'done');
        assert.deepEqual(input, { keep: 'me' });
        const adopted = await restarting.waitFor(killed, 'function-logs', terminal);
        assert.equal(adopted.status, 'succeeded', JSON.stringify(adopted));
        assert.equal(adopted.result, 'done');
        assert.deepEqual(adopted.attempts.map((a: any) => [a.number, a.status]), [[1, 'succeeded']]);
        assert.deepEqual(await programLines(restarting, killed), ['hello from the function', 'result computed', 'a warning on stderr']);

        // A shutdown leaves the Job running too, for the restarted controller.
        const stopped = await restarting.invoke('default', 'durable', 'stopped');
        await runningPod(cluster.api, 'default', stopped, 1);
        await restarting.close();
        const left = await attemptJob(cluster.api, 'default', stopped, 1);
        assert.equal(left.metadata?.deletionTimestamp, undefined, 'the shutdown left the Job alone');
        restarting = await startControllerProcess(options);
        await succeedAttempt('default', stopped, 1, 'after the shutdown');
        const resumed = await restarting.waitFor(stopped, 'default', terminal);
        assert.deepEqual(resumed.attempts.map((a: any) => [a.number, a.status]), [[1, 'succeeded']]);
        assert.equal(resumed.result, 'after the shutdown');

        // The deleted Job's attempt was not adopted: its lease ran out, and it was retried.
        await succeedAttempt('default', gone, 2, 'second try');
        const retried = await restarting.waitFor(gone, 'default', terminal);
        assert.deepEqual(retried.attempts.map((a: any) => [a.number, a.status, a.reason]), [
          [1, 'lost', 'LeaseExpired'],
          [2, 'succeeded', null],
        ]);
      } finally {
        await restarting.close();
      }
    });

    it('is lost, not revived, when its lease expired while its controller was down: its Job is deleted and the retry runs', async () => {
      const dir = dataDir();
      dirs.push(dir);
      const options = clusterOptions(cluster.kubeconfig, dir, { kubernetes: { controllerId: 'slow-to-restart', observerPort: await freePort(), runtimeApiPort: await freePort() } });
      let first = await startControllerProcess(options);
      try {
        const deployed = await first.request('PUT', '/v1/namespaces/default/functions/expiring', functionDocument('expiring', { retry: { limit: 2, on: ['lost'], backoff: { initial: '100ms' } } }));
        assert.ok(deployed.status < 300, JSON.stringify(deployed.body));
        const id = await first.invoke('default', 'expiring', { keep: 'me' });
        await runningPod(cluster.api, 'default', id, 1);
        await first.kill();
        // Down for longer than the 3 s lease: from its expiry the attempt counts as lost.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        first = await startControllerProcess(options);
        const { input } = await succeedAttempt('default', id, 2, 'done');
        assert.deepEqual(input, { keep: 'me' });
        const execution = await first.waitFor(id, 'default', terminal);
        assert.equal(execution.status, 'succeeded');
        assert.deepEqual(execution.attempts.map((a: any) => [a.number, a.status, a.reason]), [
          [1, 'lost', 'LeaseExpired'],
          [2, 'succeeded', null],
        ]);
        const oldJob = await cluster.api.get<KubeList<any>>('/apis/batch/v1/namespaces/default/jobs', { labelSelector: `pontoon.dev/execution=${id},pontoon.dev/attempt=1` });
        assert.ok(oldJob.items.every((job) => job.metadata.deletionTimestamp), 'the lost attempt’s Job was deleted');
      } finally {
        await first.close();
      }
    });
  });
});
