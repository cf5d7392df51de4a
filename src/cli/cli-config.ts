import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './cli-error.js';

/** What the CLI's config file may hold: the API address and a token. */
export interface CliConfig {
  server?: string;
  token?: string;
}

/** The config file: $PONTOON_CONFIG, else $XDG_CONFIG_HOME/pontoon/config.yaml, else ~/.config/pontoon/config.yaml. */
export function cliConfigPath(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.PONTOON_CONFIG) return environment.PONTOON_CONFIG;
  return join(environment.XDG_CONFIG_HOME || join(homedir(), '.config'), 'pontoon', 'config.yaml');
}

/** Reads the config file, if there is one; a broken one is an error that names it. */
export function readCliConfig(environment: NodeJS.ProcessEnv = process.env): CliConfig {
  const file = cliConfigPath(environment);
  if (!existsSync(file)) return {};
  let value: unknown;
  try {
    value = parse(readFileSync(file, 'utf8'));
  } catch (thrown) {
    throw new CliError(`${file} is not valid YAML: ${(thrown as Error).message}`);
  }
  const config = (value ?? {}) as Record<string, unknown>;
  for (const field of ['server', 'token'] as const) {
    if (config[field] !== undefined && typeof config[field] !== 'string') throw new CliError(`${file}: ${field} must be a string`);
  }
  return { server: config.server as string | undefined, token: config.token as string | undefined };
}
