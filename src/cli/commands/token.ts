import { resolve, join } from 'node:path';
import { Command, Option } from 'commander';
import { anyNamespace, roles, type Role } from '../../domain/access.js';
import { CliError, asError } from '../cli-error.js';

/** Where `token create` writes when no file is named: the tokens file `pontoon up` reads by default. */
function tokensFileOf(options: { tokensFile?: string; dataDir: string }): string {
  return resolve(options.tokensFile ?? join(options.dataDir, 'tokens.yaml'));
}

/** Creates a token, adds its hash to a tokens file and returns the token (shown once, never stored). */
export async function createToken(file: string, name: string, role: Role, namespaces: string[]): Promise<string> {
  // Loaded here: the other commands need none of the server's code.
  const { createTokenInFile } = await import('../../api/auth/token-file.js');
  return createTokenInFile(file, name, Object.fromEntries(namespaces.map((namespace) => [namespace, role])));
}

/** `pontoon token create`: makes a bearer token for the server's tokens file. */
export function tokenCommand(): Command {
  const create = new Command('create')
    .description('create a bearer token: its SHA-256 goes into the tokens file, the token is printed once (a server with auth on picks it up within a second; one that started open turns auth on at its next start)')
    .addOption(new Option('--role <role>', 'the role it holds').choices(roles as string[]).makeOptionMandatory())
    .addOption(new Option('--namespaces <names>', `namespaces it holds the role in, comma-separated; ${anyNamespace} for all`).default(anyNamespace))
    .addOption(new Option('--name <name>', 'a name for logs and rate limits').default(`token-${new Date().toISOString().slice(0, 10)}`))
    .addOption(new Option('--tokens-file <file>', 'the tokens file to add it to (default: tokens.yaml in the data dir)').env('PONTOON_TOKENS_FILE'))
    .addOption(new Option('--data-dir <dir>', 'data dir of the server').env('PONTOON_DATA_DIR').default('.pontoon'))
    .action(async (options: { role: Role; namespaces: string; name: string; tokensFile?: string; dataDir: string }) => {
      const namespaces = options.namespaces.split(',').map((name) => name.trim()).filter(Boolean);
      if (namespaces.length === 0) throw new CliError('--namespaces must name at least one namespace (or *)');
      const file = tokensFileOf(options);
      let token: string;
      try {
        token = await createToken(file, options.name, options.role, namespaces);
      } catch (thrown) {
        throw new CliError(`cannot add a token to ${file}: ${asError(thrown).message}`);
      }
      process.stderr.write(`token ${options.name} (${options.role} in ${namespaces.join(', ')}) added to ${file}; it is shown once:\n`);
      process.stdout.write(`${token}\n`);
    });
  return new Command('token').description('manage bearer tokens of a server (its tokens file)').addCommand(create);
}
