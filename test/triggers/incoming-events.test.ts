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

  it('refuses an invalid time instead of replacing it, and keeps a valid one as sent', () => {
    const event = { specversion: '1.0', id: 'e1', source: '/s', type: 't' };
    for (const time of ['yesterday', '2030-01-01', '2030-01-01T00:00:00', '2030-02-30T00:00:00Z', '']) {
      assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, time })))), /time must/, time);
    }
    assert.match(reason(catchOf(() => readEvents({ ...binary, 'ce-time': 'not a time' }, '{}'))), /time must be an RFC 3339 timestamp/);
    const [kept] = readEvents(structured, JSON.stringify({ ...event, time: '2030-01-01T09:00:00+02:00' })).events;
    assert.equal(kept.time, '2030-01-01T09:00:00+02:00');
  });

  it('refuses data_base64 that is not base64, and data beside data_base64; keeps valid data_base64 as sent', () => {
    const event = { specversion: '1.0', id: 'e1', source: '/s', type: 't' };
    for (const bad of ['not base64!', 'Zm9vY', 'Zm9=vYg==', 42]) {
      assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, data_base64: bad })))), /data_base64 must be base64/, String(bad));
    }
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, data: 'x', data_base64: 'eA==' })))), /data and data_base64 are both present/);
    const [kept] = readEvents(structured, JSON.stringify({ ...event, datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' })).events;
    assert.equal(kept.data_base64, 'iVBORw0KGgo=');
    assert.equal(kept.data, undefined);
  });

  it('percent-decodes binary-mode ce-* headers, and refuses sequences that are not UTF-8', () => {
    const headers = { ...binary, 'ce-source': '/repos/a%2Fb', 'ce-subject': 'caf%C3%A9 100%25 done', 'ce-team': 'co%22st' };
    const [event] = readEvents(headers, '{}').events;
    assert.equal(event.source, '/repos/a/b');
    assert.equal(event.subject, 'café 100% done');
    assert.equal(event.team, 'co"st');
    assert.match(reason(catchOf(() => readEvents({ ...binary, 'ce-subject': '%C0%A0' }, '{}'))), /ce-subject is not valid percent-encoded UTF-8/);
    assert.match(reason(catchOf(() => readEvents({ ...binary, 'ce-subject': '%E0%A4%A' }, '{}'))), /ce-subject/);
  });

  it('keeps binary-mode data by its content type: JSON parsed, text as a string, anything else as data_base64', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]);
    const [image] = readEvents({ ...binary, 'content-type': 'image/png' }, bytes).events;
    assert.equal(image.data_base64, bytes.toString('base64'));
    assert.equal(image.data, undefined);
    const [text] = readEvents({ ...binary, 'content-type': 'text/plain; charset=utf-8' }, Buffer.from('héllo')).events;
    assert.equal(text.data, 'héllo');
    const [json] = readEvents({ ...binary, 'content-type': 'application/vnd.acme+json' }, Buffer.from('[1]')).events;
    assert.deepEqual(json.data, [1]);
  });

  it('refuses attributes the type system has no place for, and extension names it forbids', () => {
    const event = { specversion: '1.0', id: 'e1', source: '/s', type: 't' };
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, team: { name: 'cost' } })))), /team must be a string, an integer or a boolean/);
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, count: 1.5 })))), /count must be a 32-bit integer/);
    assert.equal(readEvents(structured, JSON.stringify({ ...event, count: 7, on: true })).events[0].count, 7);
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, Team: 'cost' })))), /invalid extension name/);
    assert.match(reason(catchOf(() => readEvents(structured, JSON.stringify({ ...event, source: 'a b' })))), /source must match format "uri-reference"/);
  });

  it('refuses an event nested deeper than the limit in every mode', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const event = `{"specversion":"1.0","id":"e1","source":"/s","type":"t","data":${deep}}`;
    assert.match(reason(catchOf(() => readEvents(structured, event))), /more than 100 levels deep/);
    assert.match(reason(catchOf(() => readEvents({ 'content-type': 'application/cloudevents-batch+json' }, `[${event}]`))), /more than 100 levels deep/);
    assert.match(reason(catchOf(() => readEvents(binary, deep))), /more than 100 levels deep/);
    // The limit counts the event: its data may nest 99 levels.
    const fits = '['.repeat(99) + ']'.repeat(99);
    assert.equal(readEvents(binary, fits).events.length, 1);
    assert.match(reason(catchOf(() => readEvents(binary, `[${fits}]`))), /more than 100 levels deep/);
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
