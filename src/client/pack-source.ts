import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { create } from 'tar';

/**
 * What is never packed, as users of git, npm and Docker expect: version control, dependencies
 * the build installs again, and build outputs and caches. A `.pontoonignore` adds to these
 * (gitignore syntax; a `!pattern` there brings one back).
 */
export const defaultIgnores = ['.git/', '.hg/', '.svn/', 'node_modules/', '__pycache__/', '*.pyc', '.venv/', 'venv/', 'target/', '.gradle/', '.pytest_cache/', '.mypy_cache/', '.DS_Store', '.pontoon/'];

/** The name of the ignore file read from the root of a source directory. */
export const ignoreFileName = '.pontoonignore';

/** A packed source directory: the archive and the sha256 the server will name it by. */
export interface PackedSource {
  archive: Buffer;
  sha256: string;
  /** Files packed. */
  files: number;
}

async function ignoreRules(dir: string): Promise<Ignore> {
  const rules = ignore().add(defaultIgnores);
  try {
    rules.add(await readFile(join(dir, ignoreFileName), 'utf8'));
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code !== 'ENOENT') throw thrown;
  }
  return rules;
}

/** The paths to pack under `dir`, relative with `/`, sorted, ignored ones left out (and what is under them). */
async function packedPaths(dir: string, rules: Ignore): Promise<string[]> {
  const paths: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = relative(dir, join(at, entry.name)).split(sep).join('/');
      if (entry.isDirectory()) {
        if (rules.ignores(`${path}/`)) continue;
        await walk(join(at, entry.name));
      } else if (!rules.ignores(path)) {
        paths.push(path);
      }
    }
  };
  await walk(dir);
  return paths.sort();
}

/**
 * Packs a function's source directory into a .tar.gz on the caller's side. The archive depends on
 * the files' names, bytes and executable bits only (sorted entries, no times, owners or gzip
 * timestamp), so the same source packs to the same sha256 and a redeploy rebuilds nothing.
 */
export async function packSource(dir: string): Promise<PackedSource> {
  if (!(await stat(dir)).isDirectory()) throw new Error(`${dir} is not a directory`);
  const paths = await packedPaths(dir, await ignoreRules(dir));
  // An empty directory (a command's working directory) still packs: to its root entry alone.
  const entries = paths.length === 0 ? ['.'] : paths;
  const chunks: Buffer[] = [];
  // portable: no uid, gid, user or group names; noMtime: no times; links are packed as links.
  const stream = create({ cwd: dir, gzip: true, portable: true, noMtime: true, follow: false, noDirRecurse: true }, entries);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const archive = Buffer.concat(chunks);
  return { archive, sha256: createHash('sha256').update(archive).digest('hex'), files: paths.length };
}
