import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeApi, loadKubeConfig } from '../../src/kubernetes/kube-api.js';

// dist-*/test/kubernetes → the repository root.
export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const scripts = join(repoRoot, 'scripts/k8s');

/**
 * Why the control-plane suites are skipped, or false when its binaries are cached. Where they
 * are required (.ci/run sets PONTOON_K8S_REQUIRED), missing binaries fail the suite instead.
 */
export function controlPlaneMissing(): string | false {
  const check = spawnSync('bash', [join(scripts, 'build.sh'), '--check']);
  if (check.status === 0) return false;
  const reason = 'the control-plane binaries are not built: run scripts/k8s/build.sh';
  if (process.env.PONTOON_K8S_REQUIRED) throw new Error(`Kubernetes suites cannot run: ${reason}`);
  process.stderr.write(`# skipping Kubernetes suites: ${reason}\n`);
  return reason;
}

/** A control plane started by scripts/k8s/control-plane.sh for one test file. */
export interface TestCluster {
  dir: string;
  kubeconfig: string;
  /** Directory of the cached binaries (kubectl, helm, …): never a kubectl from PATH. */
  bin: string;
  api: KubeApi;
  /** Runs our own kubectl against this control plane only. */
  kubectl(args: string[], stdin?: string): Promise<CommandResult>;
  /** Runs our own helm against this control plane only. */
  helm(args: string[]): Promise<CommandResult>;
  stop(): Promise<void>;
}

/** How a command ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, feeding it `stdin`. */
export function run(program: string, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(program, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** How long a suite's start hook may take: two tries of control-plane.sh start, each bounded by 300 s. */
export const clusterStartTimeoutMs = 660_000;

/** Starts a fresh control plane in a temp directory (about 10-30 s). */
export async function startCluster(): Promise<TestCluster> {
  const dir = await startControlPlane();
  const bin = spawnSync('bash', [join(scripts, 'build.sh'), '--bin-dir'], { encoding: 'utf8' }).stdout.trim();
  const kubeconfig = join(dir, 'kubeconfig');
  const api = new KubeApi(loadKubeConfig(kubeconfig));
  const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig };
  return {
    dir,
    kubeconfig,
    bin,
    api,
    kubectl: (args, stdin) => run(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdin, env }),
    helm: (args) => run(join(bin, 'helm'), ['--kubeconfig', kubeconfig, ...args], { env }),
    async stop() {
      api.close();
      await run('bash', [join(scripts, 'control-plane.sh'), 'stop', dir]);
    },
  };
}

/**
 * Runs control-plane.sh start in a fresh directory and returns it. A start that fails is tried
 * once more from scratch: on a loaded machine, two control planes starting at once can still pick
 * the same free port, or a component can miss its start-up wait.
 */
async function startControlPlane(): Promise<string> {
  const failures: string[] = [];
  for (;;) {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-k8s-test-'));
    const started = await run('bash', [join(scripts, 'control-plane.sh'), 'start', dir], { timeoutMs: 300_000 });
    if (started.code === 0) return dir;
    await run('bash', [join(scripts, 'control-plane.sh'), 'stop', dir]);
    failures.push(started.stderr);
    if (failures.length === 2) throw new Error(`the control plane did not start, twice:\n${failures.join('\n--- then:\n')}`);
    process.stderr.write(`# the control plane did not start; trying again. It said:\n${started.stderr}\n`);
  }
}

/** Waits until `check` resolves to something other than undefined; bounded by `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (thrown) {
      last = thrown;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
