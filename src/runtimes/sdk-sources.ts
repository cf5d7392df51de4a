import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashTree } from './build-cache.js';

// dist*/src/runtimes/sdk-sources.js → the installation root, where sdk/ lives.
const installDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the SDKs and the repo's own tools are. */
export interface SdkLocations {
  /** The installation root (holds sdk/ and node_modules/). */
  root: string;
  node: string;
  python: string;
  java: string;
  go: string;
}

/** The SDK directories of this installation, or of `root` when given (tests). */
export function sdkLocations(root = installDir): SdkLocations {
  const sdk = join(root, 'sdk');
  return { root, node: join(sdk, 'node'), python: join(sdk, 'python'), java: join(sdk, 'java'), go: join(sdk, 'go') };
}

/** The repo's TypeScript compiler, used for .ts functions and to build the node SDK when needed. */
export function repoTsc(root: string): string | undefined {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return existsSync(tsc) ? tsc : undefined;
}

const sdkHashes = new Map<string, Promise<string>>();

/**
 * The content hash of an SDK's sources, part of every build key: a build made with another SDK is
 * another build. Hashed once per process; an SDK edited while the server runs is seen on restart.
 */
export function sdkHash(dir: string): Promise<string> {
  let hash = sdkHashes.get(dir);
  if (!hash) {
    // Build outputs and tests are not what a function links against.
    hash = hashTree(dir, new Set(['dist', 'target', 'tests', 'test', 'node_modules', '__pycache__', '.pytest_cache', '.git']));
    sdkHashes.set(dir, hash);
  }
  return hash;
}
