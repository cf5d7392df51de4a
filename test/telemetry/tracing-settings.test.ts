import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptSpanId, incomingTraceContext } from '../../src/telemetry/trace-propagation.js';
import { tracingSettings } from '../../src/telemetry/tracing.js';

describe('tracing settings: off unless configured', () => {
  it('is off with no flag and no OTEL_ variables', () => {
    assert.equal(tracingSettings(undefined, {}), undefined);
  });

  it('is on with --otlp-endpoint, whatever the environment says', () => {
    assert.deepEqual(tracingSettings('http://127.0.0.1:4318/', { OTEL_TRACES_EXPORTER: 'none' }), { endpoint: 'http://127.0.0.1:4318' });
  });

  it('is on when the environment names an OTLP endpoint or the otlp exporter, leaving the address to the exporter', () => {
    assert.deepEqual(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), {});
    assert.deepEqual(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), {});
    assert.deepEqual(tracingSettings(undefined, { OTEL_TRACES_EXPORTER: 'otlp' }), {});
  });

  it('stays off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, even with an endpoint', () => {
    assert.equal(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }), undefined);
    assert.equal(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), undefined);
  });

  it('refuses an exporter it does not have and an endpoint that is not an http(s) URL, naming them', () => {
    assert.throws(() => tracingSettings(undefined, { OTEL_TRACES_EXPORTER: 'zipkin' }), /OTEL_TRACES_EXPORTER must be otlp or none.*zipkin/);
    assert.throws(() => tracingSettings('collector:4318', {}), /otlpEndpoint must be an http\(s\) URL/);
  });
});

describe('trace context in and out', () => {
  it('keeps a well-formed traceparent and its tracestate', () => {
    assert.deepEqual(incomingTraceContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'a=1,b=2' }), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'a=1,b=2',
    });
  });

  it('ignores a malformed or all-zero traceparent, and a tracestate alone', () => {
    for (const traceparent of ['00-zz-nope-01', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']) {
      assert.equal(incomingTraceContext({ traceparent }), undefined, traceparent);
    }
    assert.equal(incomingTraceContext({ tracestate: 'a=1' }), undefined);
  });

  it('derives an attempt’s span id from its trace, execution and number: the same everywhere, different per attempt', () => {
    const first = attemptSpanId('0af7651916cd43dd8448eb211c80319c', 'e-1', 1);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(attemptSpanId('0af7651916cd43dd8448eb211c80319c', 'e-1', 1), first);
    assert.notEqual(attemptSpanId('0af7651916cd43dd8448eb211c80319c', 'e-1', 2), first);
  });
});
