import type pg from 'pg';

/**
 * A statement a transaction runs in its opening message, with BEGIN (see transaction() in
 * connection.ts), as the SQL-level EXECUTE of a statement each connection PREPAREs once, in the
 * first such message it sends. The opening is text without parameters, so its values used to be
 * quoted into the statement itself: every run was a new text, parsed and planned afresh, and on
 * the cold path on PostgreSQL that planning cost more than running them (pg_stat_statements with
 * track_planning: the claim's lock of the functions 0.079 ms of planning per execution against
 * 0.024 ms of execution). Prepared, the statement is planned once per connection, under the
 * transaction's generic-plan settings.
 */
export interface SessionStatement {
  name: string;
  /** The parameters' types, as PREPARE lists them: `(timestamptz, text[])`. */
  parameterTypes: string;
  text: string;
}

/** What each pooled connection has PREPAREd; the connection's own object is the key, as the pool reuses it. */
const preparedOn = new WeakMap<pg.ClientBase, Set<string>>();
/** Statements the message being built PREPAREs on each connection: prepared once that message is answered. */
const preparingOn = new WeakMap<pg.ClientBase, Set<string>>();

/** The text that EXECUTEs `statement` on `client` with these values, quoted as literals, PREPAREing it first when the connection has not yet. */
export function executeSql(client: pg.ClientBase, statement: SessionStatement, values: (string | readonly string[])[]): string {
  const literal = (value: string) => client.escapeLiteral(value);
  const argument = (value: string | readonly string[]) => (typeof value === 'string' ? literal(value) : `ARRAY[${value.map(literal).join(', ')}]::text[]`);
  const execute = `EXECUTE ${statement.name}(${values.map(argument).join(', ')})`;
  if (preparedOn.get(client)?.has(statement.name)) return execute;
  const preparing = preparingOn.get(client) ?? new Set<string>();
  preparingOn.set(client, preparing.add(statement.name));
  return `PREPARE ${statement.name}${statement.parameterTypes} AS ${statement.text}; ${execute}`;
}

/** The opening message sent through `client` was answered: what it PREPAREd is prepared. */
export function openingAnswered(client: pg.ClientBase): void {
  const preparing = preparingOn.get(client);
  if (!preparing) return;
  const prepared = preparedOn.get(client) ?? new Set<string>();
  for (const name of preparing) prepared.add(name);
  preparedOn.set(client, prepared);
  preparingOn.delete(client);
}

/**
 * The opening message failed. Whether its PREPAREs ran before the failure is unknown (PREPARE is
 * not undone by a rollback), so a connection that sent any must not be reused: returns whether
 * it sent one.
 */
export function openingFailed(client: pg.ClientBase): boolean {
  const preparing = preparingOn.get(client);
  preparingOn.delete(client);
  return preparing !== undefined;
}
