import { Command } from 'commander';
import { PontoonApiError } from '../../client/index.js';
import { CliError, describeError } from '../cli-error.js';
import { contextOf } from '../context.js';
import { readSpecDocuments } from '../spec-files.js';

/** `pontoon deploy -f FILE|DIR`: registers each Function document as a new version. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('deploy functions from YAML or JSON spec files (each deploy makes a new version)')
    .requiredOption(
      '-f, --filename <path>',
      'a spec file (YAML, several documents separated by ---, or JSON), a directory of .yaml/.yml/.json files, or - for stdin; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addHelpText('after', '\nA relative spec.source is resolved against the directory of the file that declares it.')
    .action(async (options: { filename: string[] }, command: Command) => {
      const context = contextOf(command);
      // Every file is read and checked first, so a malformed one deploys nothing.
      const documents = (await readSpecDocuments(options.filename)).map((spec) => ({
        ...spec,
        namespace: namespaceFor(spec.document.metadata?.namespace, context.namespace, context.namespaceGiven, spec.origin),
      }));
      let failed = 0;
      for (const { origin, name, namespace, document } of documents) {
        try {
          const { function: deployed } = await context.client.inNamespace(namespace).deployFunction(name, document);
          process.stdout.write(`function/${deployed.metadata.name} deployed (version ${deployed.metadata.version})\n`);
        } catch (thrown) {
          // Like `kubectl apply`, the other documents are still deployed; the exit code tells.
          if (!(thrown instanceof PontoonApiError)) throw thrown;
          const [first, ...rest] = describeError(thrown);
          process.stderr.write(`error: function/${name} (${origin}): ${first}\n${rest.map((line) => `${line}\n`).join('')}`);
          failed++;
        }
      }
      if (failed > 0) throw new CliError(`${failed} of ${documents.length} function(s) were not deployed`);
    });
}

function namespaceFor(declared: unknown, cliNamespace: string, cliGiven: boolean, origin: string): string {
  if (typeof declared !== 'string' || declared === '') return cliNamespace;
  if (cliGiven && declared !== cliNamespace) {
    throw new CliError(`${origin}: metadata.namespace "${declared}" does not match --namespace "${cliNamespace}"`);
  }
  return declared;
}
