import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * The file `program` names, looked up the way execvp does (on PATH unless it contains a slash).
 * Needed only when the program is started through the cgroup wrapper shell, whose failed `exec`
 * would otherwise look like the program exiting 127 instead of a start failure.
 */
export function resolveExecutable(program: string, cwd: string, path: string | undefined): string | undefined {
  if (program.includes('/')) {
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const file = join(dir ? resolve(cwd, dir) : cwd, program);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    // Most PATH entries lack the file: a stat that does not throw for them costs far less.
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
