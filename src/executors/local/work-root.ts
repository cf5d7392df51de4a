import { accessSync, chmodSync, constants, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The file in a data dir that names the work root its server uses. */
export const workRootRecord = 'work-root';

/**
 * The work root of the server whose data is in `dataDir`: the one a previous run recorded there
 * when it is still ours (so that the orphan sweep finds what a crash left behind), else a new one.
 * A new one gets an unpredictable name (mkdtemp, mode 0700) on tmpfs (/dev/shm) when there is one,
 * because creating and removing each attempt's directory on ext4 measured a tenth of a no-op
 * attempt's cost (the cold-start benchmark: 0.69 of a bare spawn loop on ext4, 0.81 on tmpfs).
 * A predictable name in a shared directory (the old `/dev/shm/pontoon-<hash>`) could be created
 * first by another user, world-writable, who would then own every attempt's files.
 * The caller must hold the data dir (lockDataDir), or two servers could record different roots.
 */
export function workRootFor(dataDir: string): string {
  const record = join(dataDir, workRootRecord);
  const previous = readRecord(record);
  if (previous !== undefined && unsafeWorkRoot(previous) === undefined) return previous;
  const root = mkdtempSync(join(sharedTempDir(), 'pontoon-'));
  writeFileSync(record, `${root}\n`, { mode: 0o600 });
  return root;
}

/**
 * Creates `path` (mode 0700) if missing and checks that this user alone can use it: a directory,
 * not a symlink, owned by this user, that group and others can neither list nor write. Throws
 * otherwise, naming what is wrong, since another user who can write there could tamper with
 * attempts' files. With `othersEnter` (functions run as other users) it is made 0711, so that
 * each attempt's user can reach its own work dir (0700, its own) without listing the others.
 */
export function ensureWorkRoot(path: string, othersEnter = false): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (othersEnter && unsafeWorkRoot(path) === undefined) chmodSync(path, 0o711);
  const problem = unsafeWorkRoot(path);
  if (problem !== undefined) throw new Error(`work root ${path} is not safe to use: ${problem}; remove it or choose another`);
}

/** Why `path` is not a safe work root, or undefined when it is (or does not exist: see ensureWorkRoot). */
export function unsafeWorkRoot(path: string): string | undefined {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `cannot stat it: ${(thrown as Error).message}`;
  }
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (!stats.isDirectory()) return 'it is not a directory';
  const uid = process.geteuid?.();
  if (uid !== undefined && stats.uid !== uid) return `it is owned by uid ${stats.uid}, not by this user (uid ${uid})`;
  if ((stats.mode & 0o066) !== 0) return `its mode is ${(stats.mode & 0o777).toString(8).padStart(4, '0')}; group and others must not read or write it (0700 or 0711)`;
  return undefined;
}

function readRecord(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text.startsWith('/') ? text : undefined;
  } catch {
    return undefined;
  }
}

/** /dev/shm when it is a writable directory, else the system temp dir. */
function sharedTempDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // No writable tmpfs here: the system temp dir will do.
  }
  return tmpdir();
}
