/**
 * Writes the Function CRD, generated from the spec schema, where the Helm chart and plain
 * manifests take it: `node dist/src/kubernetes/write-crd.js [file...]`. A test checks the
 * committed files are what the code generates, so they never drift from the schema.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { functionCrd } from './function-crd.js';

/** The CRD as the YAML committed under deploy/. */
export function crdYaml(): string {
  return `# Generated from src/domain/spec-schema.ts by src/kubernetes/write-crd.ts: do not edit.\n${stringify(functionCrd(), { lineWidth: 0 })}`;
}

/** Default places of the generated CRD. */
export const crdFiles = ['deploy/crd/functions.pontoon.dev.yaml', 'deploy/helm/pontoon/crds/functions.pontoon.dev.yaml'];

if (process.argv[1]?.endsWith('write-crd.js')) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : crdFiles;
  for (const file of files) writeFileSync(file, crdYaml());
}
