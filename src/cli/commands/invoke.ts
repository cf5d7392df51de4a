import { Command, Option } from 'commander';
import { invokeAndWait, type Execution, type PontoonClient } from '../../client/index.js';
import { formatDuration } from '../age.js';
import { CliError, exitCodes } from '../cli-error.js';
import { contextOf, outputOf, outputOption } from '../context.js';
import { readInputData, readJsonFile } from '../input-data.js';
import { printStructured, type OutputFormat } from '../output.js';
import { durationArgument, integerIn } from '../parse-args.js';

/** A --delay value: checked as a duration here, sent as written (the server bounds it). */
function durationText(value: string): string {
  durationArgument(value);
  return value;
}

interface InvokeOptions {
  data?: string;
  batch?: string;
  priority?: number;
  idempotencyKey?: string;
  wait?: true | number;
  delay?: string;
  at?: string;
  output?: string;
}

/** `pontoon invoke NAME`: starts an execution, and with `--wait` waits for its result. */
export function invokeCommand(): Command {
  return new Command('invoke')
    .description('invoke a function: prints the execution id at once, or with --wait the result')
    .argument('<name>', 'function to invoke')
    .option('-d, --data <json>', "input as JSON ('[1,100]'), @file.json to read a file, or @- to read stdin")
    .option('--batch <file>', 'a JSON array of inputs (or - for stdin): enqueues one execution per input in one request')
    .option('-p, --priority <n>', 'priority of this execution, -1000..1000 (higher runs first)', integerIn(-1000, 1000))
    .option('--idempotency-key <key>', 'a repeat with the same key returns the existing execution')
    .option('--delay <duration>', 'run later: start no sooner than this long from now, such as 30s or 10m (at most 30d)', durationText)
    .option('--at <time>', 'run later: start no sooner than this time, ISO 8601 with a zone such as 2026-01-31T09:00:00Z')
    .addOption(
      new Option('-w, --wait [timeout]', 'wait until the execution ends, or at most this long (such as 30s, 5m)').argParser(durationArgument),
    )
    .addOption(outputOption('print the execution as json or yaml instead of its id (or, with --wait, its result)'))
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 when the execution was enqueued (or, with --wait, succeeded); 1 on an error or when',
        'the execution ended failed, timed_out or cancelled; 2 when the --wait timeout ran out first (the',
        'execution goes on: follow it with `pontoon describe execution ID`).',
        '--wait re-attaches to the execution with an idempotency key, generated unless --idempotency-key is given.',
        '',
        'Examples:',
        "  pontoon invoke primes --data '[1,100]'",
        '  pontoon invoke primes --data @input.json --wait 2m -o json',
        '  pontoon invoke primes --batch inputs.json',
        '  pontoon invoke primes --data \'[1,100]\' --delay 10m',
        '  pontoon invoke primes --batch inputs.json --at 2026-01-31T09:00:00Z',
        '',
        'A delayed execution is queued with its start time (describe execution shows it and why it waits);',
        'cancel works while it waits.',
      ].join('\n'),
    )
    .action(async (name: string, options: InvokeOptions, command: Command) => {
      const { client } = contextOf(command);
      const output = outputOf(options);
      if (options.delay !== undefined && options.at !== undefined) throw new CliError('--delay and --at cannot be combined: give one start time');
      if ((options.delay !== undefined || options.at !== undefined) && options.wait !== undefined) {
        throw new CliError('--wait cannot be combined with --delay or --at: the execution starts later; follow it with `pontoon describe execution ID`');
      }
      const later = { delay: options.delay, runAt: options.at };
      if (options.batch !== undefined) return invokeBatch(client, name, options, output);
      const input = options.data === undefined ? undefined : await readInputData(options.data);
      if (options.wait === undefined) {
        const answer = await client.invoke(name, input, { priority: options.priority, idempotencyKey: options.idempotencyKey, ...later });
        if (output) return printStructured(answer.execution, output);
        const note = answer.replay ? ' (existing execution for this idempotency key)' : '';
        process.stdout.write(`execution/${answer.execution.id} ${answer.execution.status}${note}\n`);
        return;
      }
      const timeoutMs = options.wait === true ? undefined : options.wait;
      const answer = await invokeAndWait(client, name, input, {
        timeoutMs,
        priority: options.priority,
        idempotencyKey: options.idempotencyKey,
      });
      reportWaited(answer.execution, answer.ended, timeoutMs, output);
    });
}

async function invokeBatch(client: PontoonClient, name: string, options: InvokeOptions, output: OutputFormat | undefined): Promise<void> {
  if (options.data !== undefined || options.wait !== undefined || options.idempotencyKey !== undefined) {
    throw new CliError('--batch cannot be combined with --data, --wait or --idempotency-key');
  }
  const inputs = await readJsonFile(options.batch!, '--batch');
  if (!Array.isArray(inputs)) throw new CliError(`--batch ${options.batch} must hold a JSON array of inputs`);
  const executions = await client.invokeBatch(name, inputs, { priority: options.priority, delay: options.delay, runAt: options.at });
  if (output) return printStructured({ items: executions }, output);
  for (const execution of executions) process.stdout.write(`execution/${execution.id} ${execution.status}\n`);
}

function reportWaited(execution: Execution, ended: boolean, timeoutMs: number | undefined, output: OutputFormat | undefined): void {
  if (output) printStructured(execution, output);
  if (!ended) {
    if (!output) process.stdout.write(`execution/${execution.id} ${execution.status}\n`);
    const waited = timeoutMs === undefined ? '' : ` after ${formatDuration(timeoutMs)}`;
    throw new CliError(
      `the wait ran out${waited}: execution ${execution.id} is still ${execution.status}; see \`pontoon describe execution ${execution.id}\``,
      exitCodes.waitExpired,
    );
  }
  if (execution.status === 'succeeded') {
    if (!output) process.stdout.write(`${JSON.stringify(execution.result ?? null, null, 2)}\n`);
    return;
  }
  const why = execution.error ? `: ${execution.error}` : '';
  throw new CliError(`execution ${execution.id} ended ${execution.status}${why}; see \`pontoon logs ${execution.id}\``);
}
