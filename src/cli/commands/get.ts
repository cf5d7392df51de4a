import { Command, Option } from 'commander';
import type { Execution, ExecutionStatus } from '../../client/index.js';
import { finalExecutionStatuses } from '../../client/index.js';
import { contextOf, outputOf, outputOption } from '../context.js';
import { printStructured } from '../output.js';
import { integerIn } from '../parse-args.js';
import { executionTable } from '../views/execution-view.js';
import { functionTable } from '../views/function-view.js';

const executionStatuses: ExecutionStatus[] = ['queued', 'running', ...finalExecutionStatuses];
/** Largest page the API serves; longer listings follow the cursor. */
const maxPage = 1000;

/** `pontoon get functions|executions`: lists resources as a table, JSON or YAML. */
export function getCommand(): Command {
  return new Command('get')
    .description('list functions, executions, schedules or rules')
    .addCommand(getFunctionsCommand())
    .addCommand(getExecutionsCommand());
}

function getFunctionsCommand(): Command {
  return new Command('functions')
    .aliases(['function', 'fn'])
    .description('list the functions of the namespace (or one function by name)')
    .argument('[name]', 'only this function')
    .option('-A, --all-namespaces', 'list the functions of every namespace')
    .addOption(outputOption())
    .action(async (name: string | undefined, options: { allNamespaces?: boolean; output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const functions = name !== undefined
        ? [await client.getFunction(name)]
        : options.allNamespaces ? await client.listAllFunctions() : await client.listFunctions();
      const output = outputOf(options);
      if (output) return printStructured(name !== undefined ? functions[0] : { items: functions }, output);
      if (functions.length === 0) return void process.stderr.write('No functions found.\n');
      process.stdout.write(functionTable(functions, options.allNamespaces === true));
    });
}

function getExecutionsCommand(): Command {
  return new Command('executions')
    .aliases(['execution', 'exec'])
    .description('list executions, newest first (or one execution by id)')
    .argument('[id]', 'only this execution')
    .option('-f, --function <name>', 'only executions of this function')
    .addOption(new Option('-s, --status <status>', 'only executions in this status').choices(executionStatuses))
    .option('-l, --limit <n>', 'show at most this many', integerIn(1, 100_000), 50)
    .addOption(outputOption())
    .action(async (id: string | undefined, options: { function?: string; status?: ExecutionStatus; limit: number; output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const output = outputOf(options);
      if (id !== undefined) {
        const execution = await client.getExecution(id);
        if (output) return printStructured(execution, output);
        return void process.stdout.write(executionTable([execution]));
      }
      const items: Execution[] = [];
      let cursor: string | undefined;
      let more = false;
      // Bounded by the limit: each page brings at least one item or ends the loop.
      for (;;) {
        const page = await client.listExecutions({
          function: options.function,
          status: options.status,
          limit: Math.min(maxPage, options.limit - items.length),
          cursor,
        });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        more = cursor !== undefined;
        if (!more || page.items.length === 0 || items.length >= options.limit) break;
      }
      if (output) return printStructured({ items }, output);
      if (items.length === 0) return void process.stderr.write('No executions found.\n');
      process.stdout.write(executionTable(items));
      if (more) process.stderr.write(`(showing the newest ${items.length}; use --limit to see more)\n`);
    });
}
