import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { functionCrd } from '../../src/kubernetes/function-crd.js';
import { toStructuralSchema } from '../../src/kubernetes/structural-schema.js';
import { crdFiles, crdYaml } from '../../src/kubernetes/write-crd.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Walks every node of a schema, with its path. */
function* nodes(schema: Record<string, any>, path = '$'): Generator<[string, Record<string, any>]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* nodes(child as Record<string, any>, `${path}.${name}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}{}`);
}

describe('the structural schema of the Function CRD', () => {
  const crd = functionCrd() as any;
  const root = crd.spec.versions[0].schema.openAPIV3Schema;

  it('gives every node a type unless it keeps unknown fields', () => {
    for (const [path, node] of nodes(root)) {
      assert.ok(node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'] === true, `${path} has a type`);
    }
  });

  it('uses no keyword a CRD forbids', () => {
    for (const [path, node] of nodes(root)) {
      for (const forbidden of ['$id', 'const', 'uniqueItems', 'oneOf', 'anyOf', '$ref']) assert.equal(node[forbidden], undefined, `${path} has no ${forbidden}`);
      assert.ok(node.additionalProperties === undefined || typeof node.additionalProperties === 'object', `${path}: additionalProperties is a schema`);
      assert.ok(!(node.properties && node.additionalProperties), `${path}: properties and additionalProperties exclude each other`);
    }
  });

  it('keeps the spec’s fields, enums, patterns and defaults', () => {
    const spec = root.properties.spec;
    assert.deepEqual(spec.required, ['runtime']);
    assert.deepEqual(spec.properties.runtime, { description: 'how the program is started', type: 'string', enum: ['node', 'python', 'java', 'go', 'command'] });
    assert.equal(spec.properties.timeout.default, '5m');
    assert.match('30s', new RegExp(spec.properties.timeout.pattern));
    assert.equal(spec.properties.retry.properties.limit.default, 3);
    assert.equal(spec.properties.retry.properties.on['x-kubernetes-list-type'], 'set');
    assert.equal(spec.properties.serviceAccountName.type, 'string');
  });

  it('lets a value of any type through where the spec accepts any JSON', () => {
    const schedules = root.properties.spec.properties.schedules.items.properties;
    assert.deepEqual(schedules.input, { description: 'input of every scheduled execution', 'x-kubernetes-preserve-unknown-fields': true });
    const match = root.properties.spec.properties.triggers.items.properties.cloudevent.properties.type;
    assert.equal(match['x-kubernetes-preserve-unknown-fields'], true);
  });

  it('turns const into a one-value enum and keeps maps of strings', () => {
    assert.deepEqual(toStructuralSchema({ const: 'pontoon.dev/v1' }), { type: 'string', enum: ['pontoon.dev/v1'] });
    assert.deepEqual(toStructuralSchema({ type: 'object', additionalProperties: { type: 'string' } }), { type: 'object', additionalProperties: { type: 'string' } });
  });

  it('prints runtime, schedule, warm replicas and the last execution’s status', () => {
    const columns = crd.spec.versions[0].additionalPrinterColumns.map((column: any) => [column.name, column.jsonPath]);
    assert.deepEqual(columns.slice(0, 5), [
      ['Runtime', '.spec.runtime'],
      ['Schedule', '.spec.schedules[0].cron'],
      ['Warm', '.spec.warm.min'],
      ['Version', '.status.version'],
      ['Last', '.status.lastExecution.status'],
    ]);
  });

  it('is the CRD committed under deploy/ (regenerate with node dist/src/kubernetes/write-crd.js)', () => {
    for (const file of crdFiles) assert.equal(readFileSync(join(repoRoot, file), 'utf8'), crdYaml(), file);
  });
});
