import { Command } from 'commander';
import { sendRequest } from '../../client/http.js';
import type { PontoonClient } from '../../client/index.js';
import type { ScheduleView } from '../../client/types.js';
import { formatAge, formatSpan } from '../age.js';
import { contextOf, outputOf, outputOption } from '../context.js';
import { formatTable, printStructured } from '../output.js';

/** One rule as `GET /v1/namespaces/{ns}/rules` answers it. */
interface RuleItem {
  name: string;
  function: string;
  match: Record<string, unknown>;
  createdAt: string;
}

async function list<T>(client: PontoonClient, resource: string, query?: Record<string, string | undefined>): Promise<T[]> {
  const path = `/v1/namespaces/${encodeURIComponent(client.namespace)}/${resource}`;
  return (await sendRequest<{ items: T[] }>(client.url, { method: 'GET', path, query })).body.items;
}

function whenFrom(iso: string | null, now: number): string {
  if (!iso) return '<none>';
  const delta = Date.parse(iso) - now;
  return delta >= 0 ? `in ${formatSpan(delta)}` : `${formatAge(iso, now)} ago`;
}

function matchText(match: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : `${(value as { prefix: string }).prefix}*`);
  const parts = Object.entries(match).flatMap(([name, value]) =>
    name === 'extensions' ? Object.entries(value as Record<string, unknown>).map(([ext, wanted]) => `${ext}=${text(wanted)}`) : [`${name}=${text(value)}`],
  );
  return parts.join(' ');
}

/** `pontoon get schedules`: the cron schedules of the namespace with their last and next fire times. */
export function getSchedulesCommand(): Command {
  return new Command('schedules')
    .aliases(['schedule', 'cron'])
    .description('list the cron schedules of the namespace’s functions with their last and next fire times')
    .option('-f, --function <name>', 'only the schedules of this function')
    .addOption(outputOption())
    .action(async (options: { function?: string; output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const items = await list<ScheduleView>(client, 'schedules', { function: options.function });
      const output = outputOf(options);
      if (output) return printStructured({ items }, output);
      if (items.length === 0) return void process.stderr.write('No schedules found.\n');
      const now = Date.now();
      const rows = items.map((item) => [
        item.function,
        item.schedule,
        item.cron,
        item.timezone,
        item.suspend ? 'True' : 'False',
        item.concurrencyPolicy,
        item.missedRunPolicy,
        whenFrom(item.lastFireTime, now),
        item.suspend ? '<suspended>' : whenFrom(item.nextFireTime, now),
      ]);
      process.stdout.write(formatTable(['FUNCTION', 'SCHEDULE', 'CRON', 'TIMEZONE', 'SUSPEND', 'CONCURRENCY', 'MISSED RUNS', 'LAST FIRE', 'NEXT FIRE'], rows));
    });
}

/** `pontoon get rules`: the standalone CloudEvent rules of the namespace. */
export function getRulesCommand(): Command {
  return new Command('rules')
    .alias('rule')
    .description('list the CloudEvent rules of the namespace and the function each starts')
    .addOption(outputOption())
    .action(async (options: { output?: string }, command: Command) => {
      const { client } = contextOf(command);
      const items = await list<RuleItem>(client, 'rules');
      const output = outputOf(options);
      if (output) return printStructured({ items }, output);
      if (items.length === 0) return void process.stderr.write('No rules found.\n');
      const now = Date.now();
      process.stdout.write(formatTable(['NAME', 'FUNCTION', 'MATCH', 'AGE'], items.map((rule) => [rule.name, rule.function, matchText(rule.match), formatAge(rule.createdAt, now)])));
    });
}
