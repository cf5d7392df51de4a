import { join } from 'node:path';
import { PontoonError } from '../domain/errors.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import { BuildCache } from './build-cache.js';
import { unpackPackage } from './package-archive.js';

/** Reads a stored package's archive; undefined when the store has none with that sha256. */
export type PackageReader = (sha256: string) => Promise<Buffer | undefined>;

/**
 * Gives a function whose code is an uploaded package (`spec.package`) a source directory on this
 * machine: the package unpacked once per sha256 under `dir`, from the store, so every controller
 * sharing a PostgreSQL store can build and run what any of them accepted. The runtimes then see
 * an ordinary `spec.source` and build once per content hash as they do for a path.
 */
export class PackageSources {
  private readonly unpacked: BuildCache;
  private readonly known = new Map<string, string>();

  constructor(
    dir: string,
    private readonly read: PackageReader,
  ) {
    this.unpacked = new BuildCache(dir);
  }

  /** The function as the runtimes should see it: its package replaced by the directory it unpacks to. */
  async localize(fn: FunctionVersion): Promise<FunctionVersion> {
    const pkg = fn.document.spec.package;
    if (!pkg) return fn;
    const source = this.known.get(pkg.sha256) ?? (await this.unpack(pkg.sha256, `${fn.namespace}/${fn.name}`));
    const { package: _package, ...spec } = fn.document.spec;
    return { ...fn, document: { ...fn.document, spec: { ...spec, source } } };
  }

  private async unpack(sha256: string, name: string): Promise<string> {
    const dir = await this.unpacked.ensure(sha256, async (tmp) => {
      const archive = await this.read(sha256);
      if (!archive) throw new PontoonError('BUILD_FAILED', `the package ${sha256} of function ${name} is not in the store; upload it again with pontoon deploy`);
      await unpackPackage(archive, join(tmp, 'src'));
    });
    const source = join(dir, 'src');
    this.known.set(sha256, source);
    return source;
  }
}
