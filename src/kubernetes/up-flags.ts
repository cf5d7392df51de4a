import { Option, type Command } from 'commander';
import type { KubernetesModeOptions } from './kubernetes-mode.js';

/** Cluster options that `pontoon up` takes as flags of the same name. */
type SameNamedOptions = 'kubeconfig' | 'observerImage' | 'runtimeImagePrefix' | 'observerHost' | 'observerPort' | 'observerUrl' | 'runtimeApiPort' | 'controllerId' | 'leaderElection' | 'leaseNamespace';

/** The flags `pontoon up` takes for the kubernetes executor, as commander parses them. */
export interface KubernetesFlags extends Pick<KubernetesModeOptions, SameNamedOptions> {
  executor: 'local' | 'kubernetes';
  installCrd: boolean;
  jobTtl?: number;
}

/** Adds the executor choice and the cluster flags to `pontoon up` (no Kubernetes code is loaded here). */
export function addKubernetesFlags(command: Command): Command {
  const port = (text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`must be a port 0-65535, not ${text}`);
    return value;
  };
  return command
    .addOption(new Option('--executor <executor>', 'where attempts run: local child processes or kubernetes Jobs').env('PONTOON_EXECUTOR').default('local').choices(['local', 'kubernetes']))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the cluster (default: in-cluster service account, else KUBECONFIG)'))
    .addOption(new Option('--observer-image <image>', 'image of the observer beside each function container').env('PONTOON_OBSERVER_IMAGE'))
    .addOption(
      new Option('--runtime-image-prefix <registry>', 'registry of the runtime images (pontoon-runtime-node, -python, -java, -go) that run functions with an uploaded package and no spec.image').env(
        'PONTOON_RUNTIME_IMAGE_PREFIX',
      ),
    )
    .addOption(new Option('--observer-host <host>', 'address the observer endpoint binds (pods report there)').env('PONTOON_OBSERVER_HOST'))
    .addOption(new Option('--observer-port <port>', 'port of the observer endpoint (default 7071)').env('PONTOON_OBSERVER_PORT').argParser(port))
    .addOption(new Option('--observer-url <url>', 'URL pods reach the observer endpoint at').env('PONTOON_OBSERVER_URL'))
    .addOption(new Option('--runtime-api-port <port>', 'port of the runtime API warm replicas call, on the observer host (default observer port + 1)').env('PONTOON_RUNTIME_API_PORT').argParser(port))
    .addOption(new Option('--controller-id <id>', 'stable name of this controller (its pod name); restarted under it, the controller adopts the Jobs it left running').env('POD_NAME'))
    .addOption(new Option('--leader-election', 'elect a leader with a coordination.k8s.io Lease (replicas on PostgreSQL)').env('PONTOON_LEADER_ELECTION'))
    .addOption(new Option('--lease-namespace <namespace>', 'namespace of the leader Lease').env('POD_NAMESPACE'))
    .addOption(new Option('--no-install-crd', 'do not install the Function CRD at start (the Helm chart installs it)'))
    .addOption(new Option('--job-ttl <seconds>', 'seconds a finished Job is kept').env('PONTOON_JOB_TTL').argParser(Number));
}

/** The start options the flags ask for. */
export function kubernetesStartOptions(flags: KubernetesFlags): { executor: 'local' | 'kubernetes'; kubernetes?: KubernetesModeOptions } {
  if (flags.executor !== 'kubernetes') return { executor: 'local' };
  return {
    executor: 'kubernetes',
    kubernetes: {
      kubeconfig: flags.kubeconfig,
      observerImage: flags.observerImage,
      runtimeImagePrefix: flags.runtimeImagePrefix,
      observerHost: flags.observerHost,
      observerPort: flags.observerPort,
      observerUrl: flags.observerUrl,
      runtimeApiPort: flags.runtimeApiPort,
      controllerId: flags.controllerId,
      leaderElection: flags.leaderElection === true,
      leaseNamespace: flags.leaseNamespace,
      installCrd: flags.installCrd,
      ttlSecondsAfterFinished: flags.jobTtl,
    },
  };
}
