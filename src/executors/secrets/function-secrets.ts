import { redactSecrets } from '../../domain/secret-redaction.js';
import type { FieldProblem } from '../../domain/errors.js';
import type { SecretRef } from '../../domain/function-spec.js';
import type { AttemptReport } from '../../domain/execution.js';
import type { LogLine } from '../../store/store.js';
import type { SecretStore } from './secret-store.js';

/** Thrown when a secret a function names is not in the store: the attempt fails with this message rather than run without it. */
export class MissingSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingSecretError';
  }
}

/**
 * The secrets of the functions this controller runs: resolved from the operator's store when an
 * attempt (or a warm replica) starts, handed to the program's environment only, and remembered
 * for as long as this controller runs so that the program's output never shows them. Values are
 * never written to the store, the work dir or a log. Redaction covers every value resolved so far,
 * whichever function printed it: a secret is no less secret in another function's logs.
 */
export class FunctionSecrets {
  private readonly values = new Set<string>();

  constructor(private readonly store: SecretStore | undefined) {}

  /** The variables of `secrets`, by name; throws MissingSecretError naming each one the store lacks. */
  async resolve(secrets: readonly SecretRef[] | undefined): Promise<Record<string, string>> {
    if (!secrets?.length) return {};
    const env: Record<string, string> = {};
    const missing: string[] = [];
    for (const { name, from } of secrets) {
      const value = this.store ? await this.store.read(from.secret, from.key) : undefined;
      if (value === undefined) missing.push(this.describeMissing(name, from));
      else {
        env[name] = value;
        if (value !== '') this.values.add(value);
      }
    }
    if (missing.length > 0) throw new MissingSecretError(`missing secret${missing.length > 1 ? 's' : ''}: ${missing.join('; ')}; the function does not run without ${missing.length > 1 ? 'them' : 'it'}`);
    return env;
  }

  /** Each secret of a spec the store lacks, as a problem naming its field (for a deploy's 422). */
  async missing(secrets: readonly SecretRef[] | undefined): Promise<FieldProblem[]> {
    const problems: FieldProblem[] = [];
    for (const [index, { name, from }] of (secrets ?? []).entries()) {
      const value = this.store ? await this.store.read(from.secret, from.key) : undefined;
      if (value === undefined) problems.push({ field: `spec.secrets[${index}]`, message: this.describeMissing(name, from) });
    }
    return problems;
  }

  /** Log lines with every known secret value replaced. */
  redactLines(lines: LogLine[]): LogLine[] {
    if (this.values.size === 0) return lines;
    const values = [...this.values];
    return lines.map((line) => ({ ...line, line: redactSecrets(line.line, values) }));
  }

  /** A report whose error message shows no known secret value. */
  redactReport<T extends Pick<AttemptReport, 'error'> | { error: string }>(report: T): T {
    if (this.values.size === 0 || !report.error) return report;
    return { ...report, error: redactSecrets(report.error, [...this.values]) };
  }

  private describeMissing(name: string, from: SecretRef['from']): string {
    if (!this.store) return `${name} (key ${from.key} of secret ${from.secret}): no secret store is configured (pontoon up --secret-store files:<dir> or env:<PREFIX>)`;
    return `${name} (key ${from.key} of secret ${from.secret}) is not in the secret store (${this.store.description}: looked for ${this.store.locate(from.secret, from.key)})`;
  }
}
