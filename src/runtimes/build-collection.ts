import { lstat, readdir, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { LaunchPlan } from './runtime.js';

// A build's name: what it is, then its content key (`node-<hash>`, `sdk-java-<hash>`,
// `sdk-java-<hash>-cds-<hash>`, `command-<hash>`). Nothing else in the build dir goes: not the
// packages unpacked there (`packages/`), Go's caches (`go/`), nor a builder's temporary dir.
const buildName = /^[a-z][a-z0-9-]*-[0-9a-f]{16,}$/;

/**
 * The entries of `cacheDir` that launch plans name in their command, working directory or
 * environment: a build names its own dir, and a Java build the SDK build and CDS archive it uses.
 */
export function buildsNamedBy(cacheDir: string, plans: readonly LaunchPlan[]): Set<string> {
  const prefix = cacheDir.endsWith('/') ? cacheDir : `${cacheDir}/`;
  const named = new Set<string>();
  for (const plan of plans) {
    for (const text of [...plan.command, plan.cwd ?? '', ...Object.values(plan.env)]) {
      for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + prefix.length)) {
        const entry = /^[^/:\s]+/.exec(text.slice(at + prefix.length))?.[0];
        if (entry) named.add(entry);
      }
    }
  }
  return named;
}

/** What a sweep keeps besides the builds in use. */
export interface SweepOptions {
  /** A build touched (made, or kept by a sweep) this recently stays even when unnamed. */
  graceMs: number;
  now?: number;
}

/**
 * Removes the builds of `cacheDir` that are not in `keep` and were not touched for `graceMs`, and
 * touches those in `keep`, so that another server sharing the dir (builds are keyed by content)
 * sees them in use through their times. Only directories directly under `cacheDir` go, removed
 * without following links (a link in the dir is never a way out of it), and only those named as
 * builds are. Returns the names removed.
 */
export async function sweepBuilds(cacheDir: string, keep: ReadonlySet<string>, options: SweepOptions): Promise<string[]> {
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(cacheDir);
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw thrown;
  }
  for (const name of names) {
    if (!buildName.test(name)) continue;
    const path = join(cacheDir, name);
    const entry = await lstat(path).catch(() => undefined);
    if (!entry?.isDirectory()) continue;
    if (keep.has(name)) {
      await utimes(path, now / 1000, now / 1000);
      continue;
    }
    if (now - entry.mtimeMs < options.graceMs) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
