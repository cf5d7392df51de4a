/** One schema change: applied once, in its own transaction, never edited after release. */
export interface Migration {
  /** Position in the sequence: 1, 2, 3, … with no gaps. */
  version: number;
  name: string;
  sql: string;
}
