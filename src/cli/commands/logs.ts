import { Command } from 'commander';
import type { LogLine, PontoonClient } from '../../client/index.js';
import { contextOf } from '../context.js';
import { integerIn } from '../parse-args.js';

interface LogsOptions {
  follow?: boolean;
  attempt?: number;
  timestamps?: boolean;
}

/** Lines per page when reading logs that are already written. */
const pageSize = 1000;

/** `pontoon logs ID`: prints an execution's captured output, or follows it live with `-f`. */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print an execution's logs (stdout, stderr and Pontoon's own lines), every attempt in order")
    .argument('<id>', 'execution id')
    .option('-f, --follow', 'stream new lines until the execution ends')
    .option('-a, --attempt <n>', 'only this attempt', integerIn(1, 1_000_000))
    .option('-t, --timestamps', 'prefix each line with its time')
    .addHelpText('after', '\nLines written by Pontoon itself are prefixed with [pontoon]; a header marks each new attempt.')
    .action(async (id: string, options: LogsOptions, command: Command) => {
      const { client } = contextOf(command);
      const printer = new LogPrinter(options.timestamps === true, options.attempt === undefined);
      if (options.follow) {
        for await (const line of client.followLogs(id, { attempt: options.attempt })) printer.print(line);
        return;
      }
      await printAll(client, id, options.attempt, printer);
    });
}

async function printAll(client: PontoonClient, id: string, attempt: number | undefined, printer: LogPrinter): Promise<void> {
  let after: number | undefined;
  // Each full page moves `after` forward, so the loop ends once a page comes back short.
  for (;;) {
    const page = await client.getLogs(id, { attempt, after, limit: pageSize });
    for (const line of page.items) printer.print(line);
    if (page.items.length < pageSize) return;
    after = page.items[page.items.length - 1]!.seq;
  }
}

/** Writes log lines as a terminal reader expects them, marking where a new attempt begins. */
class LogPrinter {
  private attempt: number | undefined;

  constructor(
    private readonly timestamps: boolean,
    private readonly markAttempts: boolean,
  ) {}

  print(line: LogLine): void {
    if (this.markAttempts && line.attempt !== this.attempt && (this.attempt !== undefined || line.attempt > 1)) {
      process.stdout.write(`--- attempt ${line.attempt} ---\n`);
    }
    this.attempt = line.attempt;
    const time = this.timestamps ? `${line.time} ` : '';
    const origin = line.stream === 'system' ? '[pontoon] ' : '';
    process.stdout.write(`${time}${origin}${line.line}\n`);
  }
}
