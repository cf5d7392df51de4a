import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * True when users other than this one can reach and execute `file`: it has o+x, and so has every
 * directory on its path. A tool under a home that is 0700 (pyenv's interpreters under /root) works
 * for the server but not for the function users that run its builds (docs/security.md).
 */
export function executableByOthers(file: string): boolean {
  try {
    for (let path = file; ; path = dirname(path)) {
      if ((statSync(path).mode & 0o001) === 0) return false;
      if (dirname(path) === path) return true;
    }
  } catch {
    return false;
  }
}
