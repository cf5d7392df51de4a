import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openPool, transaction } from '../../src/store/postgres/connection.js';
import { executeSql, type SessionStatement } from '../../src/store/postgres/session-statements.js';
import { freshSchema, pgSkipReason, testPgUrl } from '../helpers/postgres.js';

const skip = pgSkipReason();

/** Fails at its EXECUTE (after its PREPARE ran) when given 0. */
const inverse: SessionStatement = { name: 'pontoon_test_inverse', parameterTypes: '(int)', text: 'SELECT 1 / $1 AS inverse' };

describe('PostgreSQL statements prepared in a transaction opening', { skip }, () => {
  it('prepares once per connection and executes after', async () => {
    const pool = openPool({ url: testPgUrl!, schema: freshSchema(), maxConnections: 1 });
    try {
      const sent: string[] = [];
      const opening = (value: string) => (client: Parameters<typeof executeSql>[0]) => {
        const text = executeSql(client, inverse, [value]);
        sent.push(text);
        return text;
      };
      for (const value of ['1', '2', '4']) {
        const answer = await transaction(pool, async (_client, [opened]) => opened.rows[0].inverse, opening(value));
        assert.equal(answer, Math.trunc(1 / Number(value)));
      }
      assert.deepEqual(
        sent.map((text) => text.startsWith('PREPARE')),
        [true, false, false],
      );
    } finally {
      await pool.end();
    }
  });

  it('drops a connection whose opening failed after its PREPARE, so that the next transaction prepares on a fresh one', async () => {
    const pool = openPool({ url: testPgUrl!, schema: freshSchema(), maxConnections: 1 });
    try {
      const opening = (value: string) => (client: Parameters<typeof executeSql>[0]) => executeSql(client, inverse, [value]);
      await assert.rejects(
        transaction(pool, async () => undefined, opening('0')),
        (thrown: Error & { code?: string }) => thrown.code === '22012',
      );
      // Reused, the connection would have the statement prepared and be told to PREPARE it again (42P05).
      const answer = await transaction(pool, async (_client, [opened]) => opened.rows[0].inverse, opening('1'));
      assert.equal(answer, 1);
    } finally {
      await pool.end();
    }
  });
});
