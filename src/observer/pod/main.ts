#!/usr/bin/env node
/**
 * The observer inside an attempt's pod (the observer image's entry point):
 * - `input`: the init container; writes the input file to the shared volume, then exits;
 * - `package`: the init container of a function with an uploaded package and no image; fetches it,
 *   checks its sha256 and unpacks it into the shared volume, then exits;
 * - `sidecar`: the native sidecar; heartbeats, and on SIGTERM (the function's container has ended)
 *   reports the output and error files to the controller, then exits.
 */
import { asError } from '../../domain/errors.js';
import { fetchPackage } from './fetch-package.js';
import { startSidecar } from './sidecar.js';
import { writeInput } from './write-input.js';

const log = (line: string) => process.stderr.write(`[pontoon-observer] ${line}\n`);

async function main(mode: string | undefined): Promise<number> {
  if (mode === 'input') {
    await writeInput(process.env);
    return 0;
  }
  if (mode === 'package') {
    await fetchPackage(process.env, log);
    return 0;
  }
  if (mode === 'sidecar') {
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    const sidecar = startSidecar(process.env, log);
    log('ready: heartbeating until TERM, then reporting the output');
    await stopped;
    await sidecar.report();
    return 0;
  }
  log('usage: pontoon-observer input|package|sidecar');
  return 2;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (thrown: unknown) => {
    log(`error: ${asError(thrown).message}`);
    process.exit(1);
  },
);
