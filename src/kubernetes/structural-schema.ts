/**
 * Turns Pontoon's JSON Schema (src/domain/spec-schema.ts) into the OpenAPI v3 "structural schema"
 * the Kubernetes API server demands of a CRD, so the CRD and the API check the same document.
 * What a structural schema cannot say is left to Pontoon's own validation when the reconciler
 * deploys the resource (its problems are written to the resource's status):
 * - `additionalProperties: false` is dropped: the API server prunes unknown fields instead;
 * - `const` becomes a one-value `enum`; an `enum` gets the `type` of its values;
 * - `uniqueItems` is forbidden: lists of scalars become `x-kubernetes-list-type: set`;
 * - a node without a type (any JSON value) or with a `oneOf` of different types keeps whatever is
 *   sent (`x-kubernetes-preserve-unknown-fields`);
 * - JSON Schema keywords Kubernetes does not know (`$id`, `title` under properties) are left out.
 */

/** A JSON Schema node, as written in spec-schema.ts. */
type JsonSchema = { readonly [keyword: string]: unknown };

/** An OpenAPI v3 schema node as a CRD carries it. */
export type StructuralSchema = { [keyword: string]: unknown };

/** Keywords copied as they are: they mean the same in both dialects. */
const kept = ['description', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'format', 'default'];

/** Converts one JSON Schema node (and everything under it) to a structural schema node. */
export function toStructuralSchema(schema: JsonSchema): StructuralSchema {
  const out: StructuralSchema = {};
  for (const keyword of kept) {
    if (schema[keyword] !== undefined) out[keyword] = schema[keyword];
  }
  if (schema.const !== undefined) {
    out.type = jsonType(schema.const);
    out.enum = [schema.const];
    return out;
  }
  if (Array.isArray(schema.enum)) {
    const types = new Set(schema.enum.map(jsonType));
    if (types.size !== 1) return anyValue(out);
    out.type = [...types][0];
    out.enum = schema.enum;
    return out;
  }
  if (schema.oneOf !== undefined || schema.anyOf !== undefined) return anyValue(out);
  const type = schema.type as string | undefined;
  if (type === undefined) return anyValue(out);
  out.type = type;
  if (type === 'object') {
    const properties = schema.properties as Record<string, JsonSchema> | undefined;
    if (properties) {
      out.properties = Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, toStructuralSchema(child)]));
      if (Array.isArray(schema.required) && schema.required.length > 0) out.required = schema.required;
    } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      out.additionalProperties = toStructuralSchema(schema.additionalProperties as JsonSchema);
    } else {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  }
  if (type === 'array' && schema.items) {
    const items = toStructuralSchema(schema.items as JsonSchema);
    out.items = items;
    if (schema.uniqueItems === true && isScalar(items)) out['x-kubernetes-list-type'] = 'set';
  }
  return out;
}

/** A node that accepts any JSON value; its meaning stays in Pontoon's validation. */
function anyValue(out: StructuralSchema): StructuralSchema {
  // A default or a format without a type is not structural.
  delete out.default;
  delete out.format;
  delete out.pattern;
  delete out.minLength;
  delete out.maxLength;
  out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

function isScalar(schema: StructuralSchema): boolean {
  return ['string', 'integer', 'number', 'boolean'].includes(schema.type as string);
}

function jsonType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : 'object';
}
