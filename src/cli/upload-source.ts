import type { FunctionDocumentInput, PontoonClient } from '../client/index.js';
// Not through client/index.js: the dashboard's browser bundle imports that, and packing needs node:fs.
import { packSource } from '../client/pack-source.js';
import { CliError, asError } from './cli-error.js';

/** What uploadSource did for one document, for the deploy line. */
export interface UploadedSource {
  document: FunctionDocumentInput;
  /** The package sent in place of spec.source; undefined when the document has no source. */
  package?: { sha256: string; size: number; files: number };
}

/**
 * Packs a document's `spec.source` directory here, on the caller's side, uploads it, and returns
 * the document with `spec.package` in its place: the server builds what it was sent, not what its
 * own disk holds, so the same spec deploys to a laptop's `pontoon up` and to a cluster.
 */
export async function uploadSource(client: PontoonClient, document: FunctionDocumentInput): Promise<UploadedSource> {
  const source = document.spec?.source;
  if (typeof source !== 'string') return { document };
  let packed;
  try {
    packed = await packSource(source);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    throw new CliError(`spec.source ${code === 'ENOENT' ? `${source}: no such directory` : asError(thrown).message}`);
  }
  const stored = await client.uploadPackage(packed.archive);
  const { source: _source, ...spec } = document.spec ?? {};
  return { document: { ...document, spec: { ...spec, package: { sha256: stored.sha256 } } }, package: { ...stored, files: packed.files } };
}
