import { Command } from 'commander';
import { contextOf, outputOf, outputOption } from '../context.js';
import { printStructured } from '../output.js';
import { describeExecution } from '../views/execution-view.js';
import { describeFunction } from '../views/function-view.js';

/** `pontoon describe execution ID | function NAME`: everything about one resource. */
export function describeCommand(): Command {
  return new Command('describe')
    .description('show one execution (attempts, timings, exit codes, errors, result) or one function in detail')
    .addCommand(
      new Command('execution')
        .aliases(['executions', 'exec'])
        .description('show an execution with each attempt, its timings, exit code, reason and error, and the result')
        .argument('<id>', 'execution id')
        .addOption(outputOption())
        .action(async (id: string, options: { output?: string }, command: Command) => {
          const execution = await contextOf(command).client.getExecution(id);
          const output = outputOf(options);
          if (output) return printStructured(execution, output);
          process.stdout.write(describeExecution(execution));
        }),
    )
    .addCommand(
      new Command('function')
        .aliases(['functions', 'fn'])
        .description('show a function: its newest version, spec with defaults, and status')
        .argument('<name>', 'function name')
        .addOption(outputOption())
        .action(async (name: string, options: { output?: string }, command: Command) => {
          const fn = await contextOf(command).client.getFunction(name);
          const output = outputOf(options);
          if (output) return printStructured(fn, output);
          process.stdout.write(describeFunction(fn));
        }),
    );
}
