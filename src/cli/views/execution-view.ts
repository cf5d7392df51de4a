import type { Execution, ExecutionDetail } from '../../client/index.js';
import { describeWait } from '../../domain/wait-reason.js';
import { formatAge, formatElapsed } from '../age.js';
import { briefJson, formatFields, formatTable } from '../output.js';

/** The `get executions` table: one row per execution, newest first. */
export function executionTable(executions: Execution[], now = Date.now()): string {
  const head = ['ID', 'FUNCTION', 'VERSION', 'STATUS', 'ATTEMPTS', 'PRIORITY', 'DURATION', 'AGE'];
  const rows = executions.map((execution) => [
    execution.id,
    execution.function,
    execution.version,
    execution.status,
    execution.attempts?.length ?? 0,
    execution.priority,
    formatElapsed(execution.startedAt, execution.finishedAt, now),
    formatAge(execution.createdAt, now),
  ]);
  return formatTable(head, rows);
}

/** The `describe execution` text: the execution, each attempt with timings and outcome, and the result. */
export function describeExecution(execution: ExecutionDetail, now = Date.now()): string {
  const fields: Array<[string, string]> = [
    ['ID', execution.id],
    ['Namespace', execution.namespace],
    ['Function', `${execution.function} (version ${execution.version})`],
    ['Status', execution.status],
    ['Priority', String(execution.priority)],
    ['Created', timeWithAge(execution.createdAt, now)],
    ['Started', timeWithAge(execution.startedAt, now)],
    ['Finished', timeWithAge(execution.finishedAt, now)],
    ['Duration', formatElapsed(execution.startedAt, execution.finishedAt, now) || '<none>'],
  ];
  // A retry's backoff, or an execution asked to run later (it has no attempt yet).
  if (execution.notBefore) fields.push([(execution.attempts ?? []).length > 0 ? 'Next Attempt' : 'Not Before', timeWithAge(execution.notBefore, now, 'in')]);
  if (execution.waiting) fields.push(['Waiting', describeWait(execution.waiting)]);
  if (execution.concurrencyKey !== null && execution.concurrencyKey !== undefined) fields.push(['Concurrency Key', execution.concurrencyKey]);
  if (execution.idempotencyKey) fields.push(['Idempotency Key', execution.idempotencyKey]);
  if (execution.callbackUrl) fields.push(['Callback URL', execution.callbackUrl]);
  fields.push(['Input', briefJson(execution.input, 200)], ['Result', briefJson(execution.result, 200)]);
  if (execution.error) fields.push(['Error', execution.error]);
  let text = formatFields(fields);
  const attempts = execution.attempts ?? [];
  text += attempts.length === 0 ? 'Attempts:         <none>\n' : 'Attempts:\n';
  if (attempts.length > 0) {
    text += formatTable(
      ['  #', 'STATUS', 'EXIT', 'REASON', 'STARTED', 'DURATION', 'ERROR'],
      attempts.map((attempt) => [
        `  ${attempt.number}`,
        attempt.status + (attempt.lateReport ? ` (late report: ${attempt.lateReport.status})` : ''),
        attempt.exitCode ?? '',
        attempt.reason ?? '',
        attempt.startedAt ? `${formatAge(attempt.startedAt, now)} ago` : '',
        formatElapsed(attempt.startedAt, attempt.finishedAt, now),
        oneLine(attempt.error ?? ''),
      ]),
    );
  }
  return text;
}

function timeWithAge(iso: string | null, now: number, relation: 'ago' | 'in' = 'ago'): string {
  if (!iso) return '<none>';
  const age = relation === 'ago' ? formatAge(iso, now) : formatAge(new Date(2 * now - Date.parse(iso)).toISOString(), now);
  return relation === 'ago' ? `${iso} (${age} ago)` : `${iso} (in ${age})`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
