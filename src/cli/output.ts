import Table from 'cli-table3';
import { stringify } from 'yaml';

/** A machine-readable output format of `-o`. */
export type OutputFormat = 'json' | 'yaml';

/** The formats `-o` accepts. */
export const outputFormats: readonly OutputFormat[] = ['json', 'yaml'];

/** Writes a value as pretty JSON or as YAML to stdout. */
export function printStructured(value: unknown, format: OutputFormat): void {
  process.stdout.write(formatStructured(value, format));
}

/** Renders a value as pretty JSON or as YAML, ending with a newline. */
export function formatStructured(value: unknown, format: OutputFormat): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** Characters that draw nothing, so cli-table3 lays out kubectl-like borderless columns. */
const noBorders = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ',
};

/** Renders rows under upper-case headings as borderless, left-aligned columns. */
export function formatTable(head: string[], rows: Array<Array<string | number>>): string {
  const table = new Table({ head, chars: noBorders, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  // cli-table3 pads the last column too; trailing blanks only get in the way of grep and diff.
  return table.toString().split('\n').map((line) => line.trimEnd()).join('\n') + '\n';
}

/** Renders `label: value` lines with the values aligned, as `kubectl describe` does. */
export function formatFields(fields: Array<[string, string]>, indent = ''): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length)) + 2;
  return fields.map(([label, value]) => `${indent}${`${label}:`.padEnd(width)}${value}`.trimEnd() + '\n').join('');
}

/** A JSON value in one line for a table or field, shortened past `max` characters. */
export function briefJson(value: unknown, max = 80): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
