import { Option, type Command } from 'commander';
import { PontoonClient, defaultPontoonUrl } from '../client/index.js';
import { readCliConfig } from './cli-config.js';
import { outputFormats, type OutputFormat } from './output.js';

/** What every API command works with: a client bound to `--url` and `--namespace`. */
export interface CliContext {
  client: PontoonClient;
  namespace: string;
  /** True when `--namespace` was given on the command line, not defaulted. */
  namespaceGiven: boolean;
}

/** Adds the global `--namespace/-n` and `--url` options to the program. */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('-n, --namespace <namespace>', 'namespace to work in').default('default'))
    .addOption(new Option('--url <url>', 'address of the Pontoon API').env('PONTOON_URL').default(defaultPontoonUrl));
}

/** The context of a command from its own and its ancestors' options. */
export function contextOf(command: Command): CliContext {
  const options = command.optsWithGlobals<{ namespace: string; url: string }>();
  let namespaceGiven = false;
  let urlDefaulted = true;
  for (let current: Command | null = command; current; current = current.parent) {
    if (current.getOptionValueSource('namespace') === 'cli') namespaceGiven = true;
    const urlSource = current.getOptionValueSource('url');
    if (urlSource === 'cli' || urlSource === 'env') urlDefaulted = false;
  }
  const config = readCliConfig();
  // --url and PONTOON_URL win over the config file's server; PONTOON_TOKEN over its token.
  const url = urlDefaulted && config.server ? config.server : options.url;
  const token = process.env.PONTOON_TOKEN || config.token;
  return { client: new PontoonClient({ url, namespace: options.namespace, token }), namespace: options.namespace, namespaceGiven };
}

/** The `-o json|yaml` option that every list and describe takes. */
export function outputOption(description = 'print as json or yaml instead of a table'): Option {
  return new Option('-o, --output <format>', description).choices(outputFormats as string[]);
}

/** The `-o` value of a command's options, if any. */
export function outputOf(options: { output?: string }): OutputFormat | undefined {
  return options.output as OutputFormat | undefined;
}
