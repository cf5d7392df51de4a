/** Files of this repository and free ports, as the benchmark's modules need them. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Compiled into dist/bench/peers/infra: the repository is four levels up.
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Absolute path of a file of the repository (not of dist/). */
export function repoFile(path: string): string {
  return root + path;
}

/** A loopback port below the ephemeral range that could be bound just now (scripts/lib/free-ports.mjs). */
export function freePort(): number {
  return Number(execFileSync(process.execPath, [repoFile('scripts/lib/free-ports.mjs'), '1'], { encoding: 'utf8' }).trim());
}
