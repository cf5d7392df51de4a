import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { chmod, cp, lstat, readFile, readdir, readlink, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Directories never hashed nor copied into a build: tool caches and build outputs that the build
 * itself recreates. node_modules is linked, not copied (see the node runtime).
 */
export const skippedDirs = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'venv', 'target', '.gradle', '.pytest_cache', '.mypy_cache']);

/** sha256 of a directory tree's content: relative paths, executable bits, file bytes and link targets. */
export async function hashTree(root: string, skip: ReadonlySet<string> = skippedDirs): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const name = relative(root, path);
      if (entry.isDirectory()) {
        if (skip.has(entry.name)) continue;
        hash.update(`d\0${name}\0`);
        await walk(path);
      } else if (entry.isSymbolicLink()) {
        hash.update(`l\0${name}\0${await readlink(path)}\0`);
      } else if (entry.isFile()) {
        const mode = (await lstat(path)).mode & 0o111 ? 'x' : '-';
        const content = await readFile(path);
        hash.update(`f\0${name}\0${mode}\0${content.length}\0`);
        hash.update(content);
      }
    }
  };
  await walk(root);
  return hash.digest('hex');
}

/** sha256 of a list of strings, unambiguous about where each ends. */
export function hashParts(parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}\0`);
  return hash.digest('hex');
}

/** How copyTree copies a source tree. */
export interface CopyOptions {
  /** Directory names left out wherever they are (dependency caches, VCS metadata). */
  skip?: ReadonlySet<string>;
  /**
   * Copy only what any user may read: files others can read, directories others can enter,
   * links as links. For builds that function users read: the server copies as root and the build
   * is made readable to all (shareTree), so a file closed to others in the source (an
   * /etc/shadow under a careless source root, a 0600 key beside the code) must stay out of it.
   */
  openOnly?: boolean;
}

/** Copies a source tree into a build (see CopyOptions). */
export async function copyTree(from: string, to: string, options: CopyOptions = {}): Promise<void> {
  const skip = options.skip ?? new Set<string>();
  await cp(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (path) => {
      if (path === from) return true;
      if (skip.has(relative(from, path).split('/').pop() ?? '')) return false;
      return !options.openOnly || openToOthers(path);
    },
  });
}

function openToOthers(path: string): boolean {
  const entry = lstatSync(path);
  if (entry.isSymbolicLink()) return true;
  return entry.isDirectory() ? (entry.mode & 0o005) === 0o005 : entry.isFile() && (entry.mode & 0o004) !== 0;
}

// Temporary build dirs are named `<final>.tmp-<pid>-<random>` so a later process can tell a dead
// builder's leftovers (pid gone) from a build in progress in another live process.
const tmpPattern = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Builds once per key into `<cacheDir>/<key>/`, atomically: the build runs in a temporary directory
 * that is renamed into place only when it succeeded, so a crash mid-build or two concurrent builds
 * never leave a half build where a whole one is expected. Builds of one key in this process share
 * one promise.
 */
export class BuildCache {
  private readonly inProgress = new Map<string, Promise<string>>();
  private swept = false;

  constructor(readonly cacheDir: string) {}

  /** The directory of the build of `key`, building it with `build(tmpDir)` if it is not there yet. */
  ensure(key: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
    const dir = join(this.cacheDir, key);
    if (existsSync(dir)) {
      // A build found is a build in use again: its time keeps the build cleanup off it (see sweepBuilds).
      touch(dir);
      return Promise.resolve(dir);
    }
    let pending = this.inProgress.get(key);
    if (!pending) {
      pending = this.buildInto(dir, build).finally(() => this.inProgress.delete(key));
      this.inProgress.set(key, pending);
    }
    return pending;
  }

  private async buildInto(dir: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
    this.sweepOnce();
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
      await shareTree(tmp);
      try {
        await rename(tmp, dir);
      } catch (thrown) {
        // Another process finished the same build first: its result is as good as ours.
        const code = (thrown as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(dir)) await rm(tmp, { recursive: true, force: true });
        else throw thrown;
      }
      return dir;
    } catch (thrown) {
      await rm(tmp, { recursive: true, force: true });
      throw thrown;
    }
  }

  /** Removes temporary build dirs left by builders that died (their pid no longer runs). */
  private sweepOnce(): void {
    if (this.swept) return;
    this.swept = true;
    mkdirSync(this.cacheDir, { recursive: true });
    for (const name of readdirSync(this.cacheDir)) {
      const match = tmpPattern.exec(name);
      if (!match || isAlive(Number(match[1]))) continue;
      rmSync(join(this.cacheDir, name), { recursive: true, force: true });
    }
  }
}

/**
 * Makes a finished build readable (and its executables executable) by every user, and writable by
 * none but its owner: functions may run as other users than the server's (docs/security.md), and a
 * copied source keeps its own modes (a temp dir's 0700, say). Symlinks are left alone.
 */
async function shareTree(root: string): Promise<void> {
  const share = async (path: string, mode: number, isDirectory: boolean) => {
    const wanted = (mode | 0o444 | (isDirectory || mode & 0o100 ? 0o111 : 0)) & ~0o022 & 0o7777;
    if (wanted !== (mode & 0o7777)) await chmod(path, wanted);
  };
  const walk = async (dir: string): Promise<void> => {
    await share(dir, (await lstat(dir)).mode, true);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) await share(path, (await lstat(path)).mode, false);
    }
  };
  await walk(root);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function touch(dir: string): void {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
  } catch {
    // Another user's build in a shared dir: its own server keeps its time.
  }
}
