import type { FunctionSpec, Runtime } from '../../domain/function-spec.js';

/** The languages Pontoon has a runtime image for: a function of one of them needs no image of its own. */
export type ImageRuntime = Exclude<Runtime, 'command'>;

/** The Pontoon runtime image of each language (deploy/docker/runtime-<language>.Dockerfile). */
export type RuntimeImages = Record<ImageRuntime, string>;

/** The runtime images of this release, under a registry prefix such as `ghcr.io/pontoon-dev`. */
export function runtimeImages(prefix = 'ghcr.io/pontoon-dev', tag = '0.1.0'): RuntimeImages {
  const image = (runtime: ImageRuntime) => `${prefix.replace(/\/+$/, '')}/pontoon-runtime-${runtime}:${tag}`;
  return { node: image('node'), python: image('python'), java: image('java'), go: image('go') };
}

/** Where an uploaded package lands in a pod: beside the contract's files, on the shared volume. */
export const packageDir = '/pontoon/app';

/** Environment of the package init container and of the runtime image's launcher. */
export const packageEnv = {
  /** sha256 of the package archive: the init container refuses bytes that do not match it. */
  sha256: 'PONTOON_PACKAGE_SHA256',
  /** URL the init container fetches the package from (the controller's, authenticated by a token). */
  url: 'PONTOON_PACKAGE_URL',
  /** Token the fetch is authenticated with. */
  token: 'PONTOON_PACKAGE_TOKEN',
  /** Directory the package is unpacked into, and the launcher builds and runs from. */
  dir: 'PONTOON_PACKAGE_DIR',
  /** The function's runtime and handler, for the launcher. */
  runtime: 'PONTOON_RUNTIME',
  handler: 'PONTOON_HANDLER',
} as const;

/** How a function's code gets into its pod: its own image, or a runtime image fed its package. */
export type PodCode =
  | { kind: 'image'; image: string }
  | { kind: 'package'; image: string; runtime: ImageRuntime; sha256: string };

/**
 * `spec.image` wins when given; else a node, python, java or go function with an uploaded
 * package runs in that language's runtime image, its package fetched by an init container.
 * Anything else cannot run on Kubernetes: the error says what to give.
 */
export function podCode(spec: FunctionSpec, images: RuntimeImages, name: string): PodCode {
  if (spec.image) return { kind: 'image', image: spec.image };
  if (spec.runtime !== 'command' && spec.package) return { kind: 'package', image: images[spec.runtime], runtime: spec.runtime, sha256: spec.package.sha256 };
  if (spec.runtime === 'command') throw new Error(`function ${name} has runtime command and no spec.image: on Kubernetes a command runs in an image you give`);
  throw new Error(`function ${name} has a spec.source path on the controller's disk and no spec.image: deploy it with the CLI (pontoon deploy -f), which uploads its source as a package that pods can fetch`);
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

/**
 * The init container that fetches a package into the shared volume: the observer image's
 * `package` mode, which checks the bytes against the sha256 before unpacking them.
 */
export function packageInitContainer(observerImage: string, url: string, sha256: string, token: EnvVar, mount: unknown[]): Record<string, unknown> {
  return {
    name: 'pontoon-package',
    image: observerImage,
    args: ['package'],
    env: [{ name: packageEnv.url, value: url }, { name: packageEnv.sha256, value: sha256 }, { name: packageEnv.dir, value: packageDir }, { ...token, name: packageEnv.token }],
    volumeMounts: mount,
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
  };
}

/** What the runtime image's launcher reads: where the package is, its runtime and its handler. */
export function launcherEnv(code: Extract<PodCode, { kind: 'package' }>, spec: FunctionSpec): EnvVar[] {
  return [
    { name: packageEnv.dir, value: packageDir },
    { name: packageEnv.runtime, value: code.runtime },
    ...(spec.handler ? [{ name: packageEnv.handler, value: spec.handler }] : []),
  ];
}

/** The observer endpoint's URL of one attempt's package. */
export function attemptPackageUrl(controllerUrl: string, executionId: string, attempt: number, sha256: string): string {
  return `${controllerUrl.replace(/\/+$/, '')}/v1/attempts/${executionId}/${attempt}/package/${sha256}`;
}
