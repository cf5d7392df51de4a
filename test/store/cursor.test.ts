import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { cursorPattern, decodeCursor, encodeCursor } from '../../src/store/shared/execution-listing.js';

describe('execution list cursors', () => {
  const pattern = new RegExp(cursorPattern);

  it('round-trips every seq, and the documented pattern matches each cursor written', () => {
    for (const seq of [0, 1, 255, 65_536, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeCursor(seq);
      assert.match(cursor, pattern);
      assert.equal(decodeCursor(cursor), seq);
    }
  });

  it('decodes every string the pattern matches (the API promises it), and refuses others', () => {
    for (let sample = 0; sample < 2000; sample += 1) {
      const cursor = randomBytes(8).toString('base64url');
      assert.match(cursor, pattern);
      assert.ok(Number.isSafeInteger(decodeCursor(cursor)));
    }
    for (const bad of ['0', '', 'AAAAAAAAAAB', 'AAAAAAAAAAAA', 'c2VxOjE']) {
      assert.doesNotMatch(bad, pattern);
      assert.throws(() => decodeCursor(bad), { code: 'INVALID_REQUEST' });
    }
  });
});
