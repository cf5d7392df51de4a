import { resolve } from 'node:path';
import { Command } from 'commander';
import { packSource } from '../../client/pack-source.js';
import { CliError, asError } from '../cli-error.js';
import { contextOf } from '../context.js';

/**
 * `pontoon package push DIR`: packs and uploads a source directory without deploying, and prints
 * the `spec.package` to name it by: for a Function applied with `kubectl apply`.
 */
export function packageCommand(): Command {
  return new Command('package').description('source packages: what pontoon deploy uploads for spec.source').addCommand(
    new Command('push')
      .description('pack a directory (the ignore rules of deploy apply) and upload it; prints the spec.package that names it, for kubectl apply')
      .argument('<dir>', 'the function source directory')
      .action(async (dir: string, _options: unknown, command: Command) => {
        let packed;
        try {
          packed = await packSource(resolve(dir));
        } catch (thrown) {
          const code = (thrown as NodeJS.ErrnoException).code;
          throw new CliError(code === 'ENOENT' ? `${dir}: no such directory` : `${dir}: ${asError(thrown).message}`);
        }
        const stored = await contextOf(command).client.uploadPackage(packed.archive);
        process.stdout.write(`package: { sha256: ${stored.sha256} }   # ${packed.files} files, ${stored.size} bytes\n`);
      }),
  );
}
