// Bundles the dashboard (src/dashboard) into dist/dashboard with esbuild: one JS and one CSS file
// plus index.html, everything `pontoon up` serves at `/`; nothing is fetched from the network at
// run time. Type-checking is tsc's (src/dashboard/tsconfig.json), run before this by `npm run build`.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/dashboard`;

// Chunk names change with their content: start empty so that old chunks are not served.
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [`${root}src/dashboard/main.tsx`],
  outdir,
  bundle: true,
  format: 'esm',
  // The deploy dialog's YAML parser and the charts' uPlot load when first used (dynamic imports).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(`${root}src/dashboard/index.html`, `${outdir}/index.html`);
