import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { withStore, type OpenStore } from './fixtures.js';

/** Uploaded source packages: stored by sha256, byte for byte, once. */
export function packageSpecs(open: OpenStore): void {
  describe('packages', () => {
    it(
      'keeps an archive byte for byte under its sha256, and a second put of the same bytes changes nothing',
      withStore(open, async (store) => {
        const archive = randomBytes(70_000);
        const sha256 = createHash('sha256').update(archive).digest('hex');
        assert.equal(await store.hasPackage(sha256), undefined);
        assert.equal(await store.getPackage(sha256), undefined);
        assert.deepEqual(await store.putPackage({ sha256, size: archive.length, archive }), { sha256, size: archive.length });
        assert.deepEqual(await store.putPackage({ sha256, size: archive.length, archive }), { sha256, size: archive.length });
        assert.deepEqual(await store.hasPackage(sha256), { sha256, size: archive.length });
        const stored = await store.getPackage(sha256);
        assert.equal(stored?.size, archive.length);
        assert.ok(stored?.archive.equals(archive), 'the archive came back changed');
      }),
    );
  });
}
