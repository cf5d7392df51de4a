import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the values of `spec.secrets` come from, as the operator configured it. A store answers
 * undefined for a secret it does not hold, and never an empty stand-in.
 */
export interface SecretStore {
  /** How the store is named in messages: `files under /etc/pontoon/secrets`, `variables PONTOON_SECRET_*`. */
  readonly description: string;
  /** Where a value is looked for, for the message of a missing one. */
  locate(secret: string, key: string): string;
  /** The value of `key` of `secret`, or undefined when the store has none. */
  read(secret: string, key: string): Promise<string | undefined>;
}

/**
 * Secrets as files: `<dir>/<secret>/<key>`, the layout of a Kubernetes Secret mounted as a
 * volume, so one can be mounted under the directory as it is. Names are checked by the spec's
 * schema (no '/', never '.' or '..'), so a caller's names never leave the directory; links in
 * it are the operator's (a Secret volume's keys are links into a timestamped directory).
 */
export class FileSecretStore implements SecretStore {
  readonly description: string;
  constructor(private readonly dir: string) {
    this.description = `files under ${dir}`;
  }

  locate(secret: string, key: string): string {
    return join(this.dir, secret, key);
  }

  async read(secret: string, key: string): Promise<string | undefined> {
    const path = this.locate(secret, key);
    try {
      if (!(await stat(path)).isFile()) return undefined;
      return await readFile(path, 'utf8');
    } catch (thrown) {
      if (absent.has((thrown as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw thrown;
    }
  }
}

const absent = new Set(['ENOENT', 'ENOTDIR']);

/** Secrets as variables of the controller's environment: `<prefix><SECRET>_<KEY>`, upper-cased, other characters as _. */
export class EnvSecretStore implements SecretStore {
  readonly description: string;
  constructor(
    private readonly prefix: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.description = `variables ${prefix}*`;
  }

  locate(secret: string, key: string): string {
    return `${this.prefix}${`${secret}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
  }

  async read(secret: string, key: string): Promise<string | undefined> {
    return this.env[this.locate(secret, key)];
  }
}

/**
 * The store named by `--secret-store`: `files:<dir>` or `env:<PREFIX>`. Throws an Error naming
 * what is wrong. (On Kubernetes, Secrets are referenced by the pods themselves: no store here.)
 */
export function parseSecretStore(text: string, resolvePath: (path: string) => string): SecretStore {
  const [kind, ...rest] = text.split(':');
  const argument = rest.join(':');
  if (kind === 'files' && argument !== '') return new FileSecretStore(resolvePath(argument));
  if (kind === 'env' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(argument)) return new EnvSecretStore(argument);
  throw new Error(`secretStore must be files:<directory> or env:<PREFIX_> (a variable-name prefix), not ${JSON.stringify(text)}`);
}
