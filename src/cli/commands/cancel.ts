import { Command } from 'commander';
import { contextOf, outputOf, outputOption } from '../context.js';
import { printStructured } from '../output.js';

/** `pontoon cancel ID`: cancels a queued or running execution. */
export function cancelCommand(): Command {
  return new Command('cancel')
    .description('cancel a queued or running execution (a running attempt is stopped)')
    .argument('<id>', 'execution id')
    .addOption(outputOption('print the cancelled execution as json or yaml'))
    .action(async (id: string, options: { output?: string }, command: Command) => {
      const execution = await contextOf(command).client.cancelExecution(id);
      const output = outputOf(options);
      if (output) return printStructured(execution, output);
      process.stdout.write(`execution/${execution.id} ${execution.status}\n`);
    });
}
