import { Command } from 'commander';
import { PontoonApiError } from '../../client/index.js';
import { CliError, describeError } from '../cli-error.js';
import { contextOf } from '../context.js';
import { readSpecDocuments } from '../spec-files.js';
import { uploadSource } from '../upload-source.js';

/** `pontoon deploy -f FILE|DIR`: registers each Function document as a new version. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('deploy functions from YAML or JSON spec files (each deploy makes a new version)')
    .requiredOption(
      '-f, --filename <path>',
      'a spec file (YAML, several documents separated by ---, or JSON), a directory of .yaml/.yml/.json files, or - for stdin; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--source-on-server', "send spec.source as a path on the server's disk instead of uploading it (the server must name it under --source-root)")
    .addHelpText(
      'after',
      `
A relative spec.source is resolved against the directory of the file that declares it. The
directory is packed here into a .tar.gz and uploaded with the spec (as spec.package), so the
server needs no access to it: the same spec deploys to \`pontoon up\` and to a cluster.
Left out of the package: .git, node_modules, __pycache__, *.pyc, .venv, venv, target, .gradle and
tool caches, plus what a .pontoonignore at the root of the directory names (gitignore syntax;
\`!pattern\` brings a default back). The server refuses a package over its --package-limit (64Mi).`,
    )
    .action(async (options: { filename: string[]; sourceOnServer?: boolean }, command: Command) => {
      const context = contextOf(command);
      // Every file is read and checked first, so a malformed one deploys nothing.
      const documents = (await readSpecDocuments(options.filename)).map((spec) => ({
        ...spec,
        namespace: namespaceFor(spec.document.metadata?.namespace, context.namespace, context.namespaceGiven, spec.origin),
      }));
      let failed = 0;
      for (const { origin, name, namespace, document } of documents) {
        try {
          const client = context.client.inNamespace(namespace);
          const uploaded = options.sourceOnServer ? { document } : await uploadSource(client, document);
          const { function: deployed } = await client.deployFunction(name, uploaded.document);
          const pkg = uploaded.package ? `, package ${uploaded.package.sha256.slice(0, 12)}, ${uploaded.package.files} files, ${uploaded.package.size} bytes` : '';
          process.stdout.write(`function/${deployed.metadata.name} deployed (version ${deployed.metadata.version}${pkg})\n`);
        } catch (thrown) {
          // Like `kubectl apply`, the other documents are still deployed; the exit code tells.
          if (!(thrown instanceof PontoonApiError) && !(thrown instanceof CliError)) throw thrown;
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
