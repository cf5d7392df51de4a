import type { FunctionResource } from '../../client/index.js';
import { formatAge } from '../age.js';
import { briefJson, formatFields, formatTable } from '../output.js';

/** The `get functions` table: one row per function, kubectl-like. */
export function functionTable(functions: FunctionResource[], withNamespace: boolean, now = Date.now()): string {
  const head = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', 'VERSION', 'RUNTIME', 'PACKAGE', 'QUEUED', 'RUNNING', 'REPLICAS', 'LAST EXECUTION', 'AGE'];
  const rows = functions.map((fn) => [
    ...(withNamespace ? [fn.metadata.namespace] : []),
    fn.metadata.name,
    fn.metadata.version,
    fn.spec.runtime,
    packageBrief(fn.spec.package),
    fn.status?.queued ?? 0,
    fn.status?.running ?? 0,
    // Ready of desired, as kubectl shows a Deployment; `-` for an on-demand function.
    fn.status?.replicas ? `${fn.status.replicas.ready}/${fn.status.replicas.desired}` : '-',
    fn.status?.lastExecution ? `${fn.status.lastExecution.status} ${formatAge(fn.status.lastExecution.createdAt, now)} ago` : '<none>',
    formatAge(fn.metadata.createdAt, now),
  ]);
  return formatTable(head, rows);
}

/** The `describe function` text: metadata, how it runs, its limits and policies, its status. */
export function describeFunction(fn: FunctionResource, now = Date.now()): string {
  const { metadata, spec, status } = fn;
  const retry = spec.retry;
  const fields: Array<[string, string]> = [
    ['Name', metadata.name],
    ['Namespace', metadata.namespace],
    ['Version', String(metadata.version)],
    ['Created', `${metadata.createdAt} (${formatAge(metadata.createdAt, now)} ago)`],
    ['Labels', keyValues(metadata.labels)],
    ['Runtime', spec.runtime],
  ];
  if (spec.command) fields.push(['Command', spec.command.map(quoteArgument).join(' ')]);
  if (spec.source) fields.push(['Source', spec.source]);
  if (spec.package) fields.push(['Package', `sha256:${spec.package.sha256} (${formatBytes(spec.package.size)})`]);
  if (spec.handler) fields.push(['Handler', spec.handler]);
  if (spec.image) fields.push(['Image', spec.image]);
  fields.push(
    ['Env', keyValues(spec.env)],
    ['Timeout', spec.timeout],
    ['Resources', keyValues(spec.resources as Record<string, string> | undefined)],
    ['Parallelism', String(spec.parallelism)],
    ['Priority', String(spec.priority)],
  );
  if (retry) {
    const backoff = retry.backoff;
    fields.push([
      'Retry',
      `limit ${retry.limit}, on ${retry.on.join('/') || 'nothing'}` +
        (backoff ? `, backoff ${backoff.initial} x${backoff.factor} up to ${backoff.max}${backoff.jitter ? ' with jitter' : ''}` : '') +
        (retry.nonRetryableExitCodes?.length ? `, never on exit ${retry.nonRetryableExitCodes.join(',')}` : ''),
    ]);
  }
  if (spec.rateLimit) fields.push(['Rate Limit', `${spec.rateLimit.limit} attempt starts per ${spec.rateLimit.period}, across controllers`]);
  if (spec.concurrency) fields.push(['Concurrency', `at most ${spec.concurrency.limit} running per key ${spec.concurrency.key} of the input`]);
  if (spec.warm) fields.push(['Warm', `min ${spec.warm.min}, max ${spec.warm.max}, concurrency ${spec.warm.concurrency ?? 1}${spec.warm.prefetch ? `, prefetch ${spec.warm.prefetch}` : ''}, idle timeout ${spec.warm.idleTimeout}`]);
  fields.push(['Queued', String(status?.queued ?? 0)], ['Running', String(status?.running ?? 0)]);
  const replicas = status?.replicas;
  if (replicas) fields.push(['Replicas', `${replicas.ready} ready of ${replicas.desired} desired, ${replicas.starting} starting, ${replicas.draining} draining, ${replicas.inFlight} executions in flight`]);
  const last = status?.lastExecution;
  fields.push(['Last Execution', last ? `${last.id} ${last.status} (${formatAge(last.createdAt, now)} ago)` : '<none>']);
  let text = formatFields(fields);
  if (spec.schedules?.length) {
    text += 'Schedules:\n';
    text += formatTable(
      ['  CRON', 'TIMEZONE', 'CONCURRENCY', 'SUSPENDED', 'INPUT'],
      spec.schedules.map((schedule) => [`  ${schedule.cron}`, schedule.timezone, schedule.concurrencyPolicy, String(schedule.suspend ?? false), briefJson(schedule.input, 40)]),
    );
  }
  if (spec.triggers?.length) {
    text += 'Triggers:\n';
    for (const trigger of spec.triggers) text += `  ${trigger.name ?? 'cloudevent'}: ${briefJson(trigger.cloudevent, 100)}\n`;
  }
  return text;
}

/** A package as the table shows it: the first 12 hex digits of its sha256 and its size; `-` for none. */
function packageBrief(pkg: { sha256: string; size?: number } | undefined): string {
  return pkg ? `${pkg.sha256.slice(0, 12)} ${formatBytes(pkg.size)}` : '-';
}

function formatBytes(size: number | undefined): string {
  if (size === undefined) return '? bytes';
  if (size < 1024) return `${size}B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)}KiB`;
  return `${(size / 1024 / 1024).toFixed(1)}MiB`;
}

function keyValues(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([key, value]) => `${key}=${value}`).join(', ');
}

function quoteArgument(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}
