import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { list } from 'tar';
import { packSource } from '../../src/client/pack-source.js';

const dirs: string[] = [];
function sourceDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-pack-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function entriesOf(archive: Buffer): Promise<string[]> {
  const paths: string[] = [];
  const parser = list({ onReadEntry: (entry) => paths.push(`${entry.type === 'SymbolicLink' ? 'link ' : ''}${entry.path}`) });
  const ended = new Promise((resolve) => parser.on('end', resolve));
  parser.end(archive);
  await ended;
  return paths;
}

describe('packing a source directory on the caller side', () => {
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('leaves out version control, dependencies, caches and build outputs, plus what .pontoonignore names', async () => {
    const dir = sourceDir({
      'main.py': 'print(1)\n',
      'lib/util.py': 'x = 1\n',
      '.git/HEAD': 'ref\n',
      'node_modules/left-pad/index.js': '\n',
      'lib/__pycache__/util.cpython-311.pyc': '\n',
      'target/classes/A.class': '\n',
      'notes/draft.md': '\n',
      'keep.log': '\n',
      'drop.log': '\n',
      '.pontoonignore': '# comments and gitignore syntax\nnotes/\n*.log\n!keep.log\n',
    });
    const packed = await packSource(dir);
    assert.deepEqual((await entriesOf(packed.archive)).sort(), ['.pontoonignore', 'keep.log', 'lib/util.py', 'main.py']);
    assert.equal(packed.files, 4);
  });

  it('packs a symbolic link as a link, not what it points to', async () => {
    const dir = sourceDir({ 'real.txt': 'hello\n' });
    symlinkSync('real.txt', join(dir, 'alias.txt'));
    assert.deepEqual((await entriesOf((await packSource(dir)).archive)).sort(), ['link alias.txt', 'real.txt']);
  });

  it('packs the same content to the same sha256 whatever the files’ times, and other content to another', async () => {
    const files = { 'a.py': 'a = 1\n', 'b/c.py': 'c = 2\n' };
    const first = sourceDir(files);
    const second = sourceDir(files);
    utimesSync(join(second, 'a.py'), new Date('2001-01-01'), new Date('2001-01-01'));
    assert.equal((await packSource(first)).sha256, (await packSource(second)).sha256);
    writeFileSync(join(second, 'a.py'), 'a = 2\n');
    assert.notEqual((await packSource(first)).sha256, (await packSource(second)).sha256);
  });
});
