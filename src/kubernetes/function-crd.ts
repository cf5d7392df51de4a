import { functionSchema } from '../domain/spec-schema.js';
import { toStructuralSchema, type StructuralSchema } from './structural-schema.js';

/** API group, version and names of the Function custom resource. */
export const functionResource = {
  group: 'pontoon.dev',
  version: 'v1',
  plural: 'functions',
  singular: 'function',
  kind: 'Function',
  listKind: 'FunctionList',
} as const;

/** Full name of the CRD: `functions.pontoon.dev`. */
export const functionCrdName = `${functionResource.plural}.${functionResource.group}`;

/**
 * What the reconciler writes to a Function's status; printer columns read it. `version` is the
 * Pontoon function version the resource's spec became, `observedGeneration` the resource
 * generation that produced it.
 */
const statusSchema: StructuralSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer', description: 'the Pontoon function version this spec was deployed as' },
    observedGeneration: { type: 'integer', description: 'metadata.generation last reconciled' },
    phase: { type: 'string', enum: ['Ready', 'Invalid'], description: 'Ready once deployed; Invalid when Pontoon rejected the spec' },
    message: { type: 'string', description: 'why the spec was rejected' },
    queued: { type: 'integer' },
    running: { type: 'integer' },
    lastExecution: {
      type: 'object',
      nullable: true,
      properties: { id: { type: 'string' }, status: { type: 'string' }, createdAt: { type: 'string' } },
    },
  },
};

/**
 * The CustomResourceDefinition of `functions.pontoon.dev`, generated from the one Function schema
 * (spec-schema.ts): `kubectl apply -f primes.yaml` and `kubectl get functions` work.
 */
export function functionCrd(): Record<string, unknown> {
  const spec = toStructuralSchema(functionSchema.properties.spec);
  // kubectl reads manifests as YAML 1.1, where an unquoted `on:` key is the boolean true: the
  // design's own `retry: {on: [failure]}` arrives as `retry: {"true": [...]}`. Accepted here and
  // renamed back by the reconciler (function-resource.ts), so the manifest works as written.
  const retry = (spec.properties as Record<string, StructuralSchema>).retry.properties as Record<string, StructuralSchema>;
  retry['true'] = { ...retry.on, description: 'retry.on as YAML 1.1 (kubectl) reads an unquoted `on:` key; prefer "on"' };
  delete retry['true'].default;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: functionCrdName, labels: { 'app.kubernetes.io/part-of': 'pontoon' } },
    spec: {
      group: functionResource.group,
      scope: 'Namespaced',
      names: {
        plural: functionResource.plural,
        singular: functionResource.singular,
        kind: functionResource.kind,
        listKind: functionResource.listKind,
        shortNames: ['fn', 'fns'],
        categories: ['pontoon'],
      },
      versions: [
        {
          name: functionResource.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: functionSchema.description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status: statusSchema,
              },
            },
          },
          additionalPrinterColumns: [
            { name: 'Runtime', type: 'string', jsonPath: '.spec.runtime' },
            { name: 'Schedule', type: 'string', jsonPath: '.spec.schedules[0].cron' },
            { name: 'Warm', type: 'integer', jsonPath: '.spec.warm.min', description: 'warm replicas kept at least' },
            { name: 'Version', type: 'integer', jsonPath: '.status.version' },
            { name: 'Last', type: 'string', jsonPath: '.status.lastExecution.status', description: 'status of the newest execution' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
