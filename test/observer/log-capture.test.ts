import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture } from '../../src/observer/log-capture.js';
import type { LogLine } from '../../src/store/store.js';

function capture(limitBytes = 1 << 20, options: { maxLineBytes?: number; batchLines?: number } = {}): { capture: LogCapture; batches: LogLine[][] } {
  const batches: LogLine[][] = [];
  return { capture: new LogCapture({ limitBytes, onLines: (lines) => batches.push(lines), ...options }), batches };
}

const text = (batches: LogLine[][]): string[] => batches.flat().map((line) => line.line);

describe('log capture', () => {
  it('splits chunks into lines, joining a line that spans chunks and dropping CR of CRLF', () => {
    const { capture: logs, batches } = capture();
    logs.write('stdout', Buffer.from('first\r\nsec'));
    logs.write('stdout', Buffer.from('ond\nthi'));
    logs.end('stdout');
    logs.flush();
    assert.deepEqual(text(batches), ['first', 'second', 'thi']);
    assert.ok(batches.flat().every((line) => line.stream === 'stdout'));
  });

  it('keeps empty lines', () => {
    const { capture: logs, batches } = capture();
    logs.write('stderr', Buffer.from('a\n\nb\n'));
    logs.flush();
    assert.deepEqual(text(batches), ['a', '', 'b']);
  });

  it('splits an over-long line, never inside a UTF-8 character', () => {
    const { capture: logs, batches } = capture(1 << 20, { maxLineBytes: 10 });
    // "é" is two bytes: a cut at byte 10 would fall inside the fifth one.
    logs.write('stdout', Buffer.from('aéééééééé\n'));
    logs.flush();
    const lines = text(batches);
    assert.deepEqual(lines, ['aéééé', 'éééé']);
    assert.ok(lines.every((line) => Buffer.byteLength(line) <= 10));
  });

  it('splits an over-long line even before its newline arrives', () => {
    const { capture: logs, batches } = capture(1 << 20, { maxLineBytes: 16 * 1024 });
    logs.write('stdout', Buffer.alloc(40_000, 'x'));
    logs.flush();
    assert.deepEqual(batches.flat().map((line) => line.line.length), [16_384, 16_384]);
    logs.end('stdout');
    logs.flush();
    assert.deepEqual(batches.flat().map((line) => line.line.length), [16_384, 16_384, 7_232]);
  });

  it('sends a batch as soon as it holds enough lines', () => {
    const { capture: logs, batches } = capture(1 << 20, { batchLines: 3 });
    logs.write('stdout', Buffer.from('1\n2\n3\n4\n'));
    assert.deepEqual(batches.map((batch) => batch.length), [3]);
    logs.flush();
    assert.deepEqual(batches.map((batch) => batch.length), [3, 1]);
  });

  it('sends a partial batch after a short delay without being flushed', async () => {
    const { capture: logs, batches } = capture();
    logs.write('stdout', Buffer.from('only line\n'));
    assert.equal(batches.length, 0);
    for (let i = 0; i < 100 && batches.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(text(batches), ['only line']);
  });

  it('keeps exactly the byte limit, cutting the crossing line, then one mark and nothing more', () => {
    const { capture: logs, batches } = capture(10);
    logs.write('stdout', Buffer.from('123456\n789abc\nlater\n'));
    logs.write('stderr', Buffer.from('still dropped\n'));
    logs.system('[pontoon] system lines are not program output');
    logs.flush();
    assert.deepEqual(text(batches), [
      '123456',
      '789a',
      '[pontoon] log limit of 10 bytes reached; further output dropped',
      '[pontoon] system lines are not program output',
    ]);
    assert.equal(logs.lastStderrLine, 'still dropped', 'the last stderr line is known even past the cap');
  });

  it('stamps each line with an ISO time', () => {
    const { capture: logs, batches } = capture();
    logs.write('stdout', Buffer.from('x\n'));
    logs.flush();
    assert.ok(!Number.isNaN(Date.parse(batches[0][0].time)));
    assert.match(batches[0][0].time, /Z$/);
  });
});
