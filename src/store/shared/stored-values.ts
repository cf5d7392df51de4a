/**
 * Normalizes a timestamp to the ISO form `toISOString` writes, and rejects what is not one.
 * SQLite stores timestamps as these strings because they then order correctly as text, which
 * every lease and backoff comparison relies on (`…00Z` and `…00.000Z` would not compare equal);
 * PostgreSQL would otherwise accept forms JavaScript reads differently.
 */
export function isoTime(value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new Error(`not a timestamp: ${value}`);
  return time.toISOString();
}

/** The ISO timestamp `ms` milliseconds after `iso`. */
export function isoAfter(iso: string, ms: number): string {
  return new Date(new Date(iso).getTime() + ms).toISOString();
}

/** JSON text for a json column or stored payload; undefined is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Reads a json column as the adapter's driver returns it: `Stored` is its form on the row. */
export type JsonReader<Stored> = (stored: Stored) => unknown;

/** better-sqlite3 returns json columns as the text that was stored. */
export const fromJsonText: JsonReader<string> = (text) => JSON.parse(text) as unknown;

/** pg returns json columns already parsed. */
export const fromParsedJson: JsonReader<unknown> = (value) => value;

/** A nullable json column's value; SQL NULL stays null and is never handed to the reader. */
export function readNullableJson<Stored>(stored: Stored | null, read: JsonReader<Stored>): unknown {
  return stored === null ? null : read(stored);
}
