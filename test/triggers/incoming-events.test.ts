import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEvents } from '../../src/triggers/incoming-events.js';

const binary = { 'ce-specversion': '1.0', 'ce-id': 'e1', 'ce-source': '/s', 'ce-type': 't', 'content-type': 'application/json' };
const structured = { 'content-type': 'application/cloudevents+json' };

function reason(thrown: unknown): string {
  const error = thrown as { code?: string; message?: string };
  assert.equal(error.code, 'INVALID_EVENT');
  return error.message ?? '';
}

describe('reading CloudEvents from HTTP', () => {
  it('reads binary mode: attributes and extensions from ce-* headers, data from the body', () => {
    const { mode, events } = readEvents({ ...binary, 'ce-team': 'cost' }, '{"n":1}');
    assert.equal(mode, 'binary');
    assert.deepEqual(events, [{ specversion: '1.0', id: 'e1', source: '/s', type: 't', team: 'cost', datacontenttype: 'application/json', data: { n: 1 } }]);
  });

  it('reads structured mode and batch mode', () => {
    const one = { specversion: '1.0', id: 'e1', source: '/s', type: 't', time: '2030-01-01T00:00:00.000Z', data: [1] };
    assert.deepEqual(readEvents(structured, JSON.stringify(one)), { mode: 'structured', events: [one] });
    const batch = readEvents({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([one, { ...one, id: 'e2' }]));
    assert.equal(batch.mode, 'batch');
    assert.deepEqual(batch.events.map((event) => event.id), ['e1', 'e2']);
  });

  it('refuses missing required attributes, naming them', () => {
    assert.match(reason(catchOf(() => readEvents({ ...binary, 'ce-type': undefined }, '{}'))), /type is required/);
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ specversion: '1.0', source: '/s', type: 't' })))), /id is required/);
    assert.match(
      reason(catchOf(() => readEvents({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([{ specversion: '1.0', id: '1', source: '/s', type: 't' }, { specversion: '1.0', id: '2', type: 't' }])))),
      /events\[1\]\.source is required/,
    );
  });

  it('refuses a specversion other than 1.0, bad JSON, and a body with no event', () => {
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ specversion: '0.3', id: '1', source: '/s', type: 't' })))), /specversion must be 1\.0/);
    assert.match(reason(catchOf(() => readEvents(structured, '{oops'))), /not valid JSON/);
    assert.match(reason(catchOf(() => readEvents(binary, '{oops'))), /data is not valid JSON/);
    assert.match(reason(catchOf(() => readEvents({ 'content-type': 'application/json' }, '{}'))), /no CloudEvent found/);
    assert.match(reason(catchOf(() => readEvents({ 'content-type': 'application/cloudevents-batch+json' }, '{}'))), /JSON array/);
  });
});

function catchOf(work: () => unknown): unknown {
  try {
    work();
  } catch (thrown) {
    return thrown;
  }
  assert.fail('expected an error');
}
