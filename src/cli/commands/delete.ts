import { Command } from 'commander';
import { contextOf } from '../context.js';

/** `pontoon delete function NAME`: removes a function. */
export function deleteCommand(): Command {
  return new Command('delete').description('delete a function').addCommand(
    new Command('function')
      .aliases(['functions', 'fn'])
      .description('delete a function')
      .argument('<name>', 'function name')
      .action(async (name: string, _options: unknown, command: Command) => {
        const deleted = await contextOf(command).client.deleteFunction(name);
        process.stdout.write(`function/${deleted.name ?? name} deleted\n`);
      }),
  );
}
