import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CronExpressionParser } from 'cron-parser';
import { concurrencyKeyPattern } from './concurrency-key.js';
import { durationPattern, parseDuration } from './duration.js';
import { PontoonError, type FieldProblem } from './errors.js';
import type { FunctionDocument } from './function-spec.js';
import { durationBounds, envNamePattern, functionSchema, secretKeyPattern, secretNamePattern, secretVariablePattern, withoutNulPattern } from './spec-schema.js';

// ajv-formats ships CommonJS whose default export is the plugin.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats(ajv);
const checkSchema = ajv.compile(functionSchema);

/** What each pattern of the schema asks for, in words: ajv would print the pattern itself. */
const patternMeanings: Record<string, string> = {
  [durationPattern]: 'must be a duration such as 500ms, 30s, 2m, 1h',
  [withoutNulPattern]: 'must not contain a NUL character',
  [envNamePattern]: 'is not a valid environment variable name: it must not be empty or contain "=" or a NUL character',
  [concurrencyKeyPattern]: 'must be a JSON Pointer into the input such as /tenant or /customer/id (~0 for ~, ~1 for /)',
  [secretVariablePattern]: 'must be a variable name of letters, digits and _, not starting with a digit',
  [secretNamePattern]: 'must be a Secret name: lower-case letters, digits, - and ., starting and ending with a letter or digit',
  [secretKeyPattern]: 'must be a Secret key: letters, digits, -, _ and ., not only dots',
};

function fieldOf(error: ErrorObject): string {
  // A property name that breaks `propertyNames` is named as the key it is: `spec.env["A=B"]`.
  if (error.propertyName !== undefined) return `${fieldOf({ ...error, propertyName: undefined })}[${JSON.stringify(error.propertyName)}]`;
  const path = error.instancePath.split('/').slice(1).map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('');
  const missing = error.keyword === 'required' ? `.${(error.params as { missingProperty: string }).missingProperty}` : '';
  const extra = error.keyword === 'additionalProperties' ? `.${(error.params as { additionalProperty: string }).additionalProperty}` : '';
  return (path + missing + extra).replace(/^\./, '') || '(document)';
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum') return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (error.keyword === 'const') return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  if (error.keyword === 'pattern') return patternMeanings[(error.params as { pattern: string }).pattern] ?? error.message ?? 'is invalid';
  return error.message ?? 'is invalid';
}

/** Problems the schema cannot express: cron syntax, time zones, cross-field rules. */
function semanticProblems(document: FunctionDocument): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const spec = document.spec;
  if (spec.runtime === 'command' && !spec.command && !spec.image) {
    problems.push({ field: 'spec.command', message: 'is required for runtime command (or give spec.image)' });
  }
  if (spec.runtime !== 'command' && spec.command) {
    problems.push({ field: 'spec.command', message: `is only for runtime command, not ${spec.runtime}` });
  }
  if (spec.runtime !== 'command' && !spec.source && !spec.package && !spec.image) {
    problems.push({ field: 'spec.source', message: `is required for runtime ${spec.runtime} (or spec.package, or spec.image)` });
  }
  if (spec.source && spec.package) {
    problems.push({ field: 'spec.package', message: 'is given with spec.source: the package takes the place of the source directory; give one' });
  }
  if (spec.warm && spec.warm.min > spec.warm.max) {
    problems.push({ field: 'spec.warm.min', message: `must not exceed spec.warm.max (${spec.warm.max})` });
  }
  problems.push(...durationProblems(spec));
  const security = spec.podSecurity;
  if (security && security.profile !== 'baseline' && security.runAsUser === 0) {
    problems.push({ field: 'spec.podSecurity.runAsUser', message: 'must not be 0 (root) under profile restricted; set spec.podSecurity.profile: baseline to run as root' });
  }
  problems.push(...secretProblems(spec));
  spec.schedules?.forEach((schedule, index) => {
    const field = `spec.schedules[${index}]`;
    if (!isTimeZone(schedule.timezone)) problems.push({ field: `${field}.timezone`, message: `unknown time zone ${schedule.timezone}` });
    const cronProblem = cronError(schedule.cron);
    if (cronProblem) problems.push({ field: `${field}.cron`, message: cronProblem });
  });
  return problems;
}

/** Each duration of the spec outside its bounds, and a backoff whose max is below its initial wait. */
function durationProblems(spec: FunctionDocument['spec']): FieldProblem[] {
  const fields: [string, string | undefined, { min: string; max: string }][] = [
    ['spec.timeout', spec.timeout, durationBounds.timeout],
    ['spec.retry.backoff.initial', spec.retry.backoff.initial, durationBounds.backoff],
    ['spec.retry.backoff.max', spec.retry.backoff.max, durationBounds.backoff],
    ['spec.warm.idleTimeout', spec.warm?.idleTimeout, durationBounds.idleTimeout],
    ['spec.rateLimit.period', spec.rateLimit?.period, durationBounds.ratePeriod],
    ...(spec.schedules ?? []).map((schedule, index): [string, string | undefined, { min: string; max: string }] => [
      `spec.schedules[${index}].delay`,
      schedule.delay,
      durationBounds.scheduleDelay,
    ]),
  ];
  const problems: FieldProblem[] = [];
  for (const [field, value, bounds] of fields) {
    if (value === undefined) continue;
    const milliseconds = parseDuration(value);
    if (milliseconds === undefined || milliseconds < parseDuration(bounds.min)! || milliseconds > parseDuration(bounds.max)!) {
      problems.push({ field, message: `must be from ${bounds.min} to ${bounds.max}, not ${value}` });
    }
  }
  const { initial, max } = spec.retry.backoff;
  if (problems.length === 0 && parseDuration(max)! < parseDuration(initial)!) {
    problems.push({ field: 'spec.retry.backoff.max', message: `must not be below spec.retry.backoff.initial (${initial}), not ${max}` });
  }
  return problems;
}

/** A secret's variable must be its own: not set twice, not also in spec.env, not one of the contract's. */
function secretProblems(spec: FunctionDocument['spec']): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  spec.secrets?.forEach((secret, index) => {
    const field = `spec.secrets[${index}].name`;
    if (seen.has(secret.name)) problems.push({ field, message: `${secret.name} is given twice` });
    else if (spec.env && Object.hasOwn(spec.env, secret.name)) problems.push({ field, message: `${secret.name} is also in spec.env; a variable comes from one place` });
    else if (secret.name.startsWith('PONTOON_')) problems.push({ field, message: 'must not start with PONTOON_ (the function contract’s variables)' });
    seen.add(secret.name);
  });
  return problems;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression is invalid, or undefined when it is valid (five or six fields). */
export function cronError(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) return `must have five or six fields, not ${fields}`;
  try {
    CronExpressionParser.parse(expression, { strict: false });
    return undefined;
  } catch (thrown) {
    return `is not a valid cron expression: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  }
}

/**
 * Checks a parsed document against the Function schema and the rules beyond it. Returns the
 * document with defaults applied, or throws INVALID_SPEC naming every wrong field.
 */
export function validateFunctionDocument(input: unknown): FunctionDocument {
  const document = structuredClone(input);
  if (!checkSchema(document)) {
    const problems = (checkSchema.errors ?? [])
      .filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'if' && error.keyword !== 'propertyNames')
      .map((error) => ({ field: fieldOf(error), message: messageOf(error) }));
    throw invalidSpec(dedupe(problems));
  }
  const valid = document as FunctionDocument;
  const problems = semanticProblems(valid);
  if (problems.length > 0) throw invalidSpec(problems);
  return valid;
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.field}: ${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function invalidSpec(problems: FieldProblem[]): PontoonError {
  const summary = problems.map((problem) => `${problem.field} ${problem.message}`).join('; ');
  return new PontoonError('INVALID_SPEC', `invalid function spec: ${summary}`, { problems });
}
