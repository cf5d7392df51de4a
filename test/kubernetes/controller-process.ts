/**
 * A Pontoon controller in a process of its own, for tests that kill it: started with the JSON
 * start options in argv[2]; prints `url <url>` once it serves.
 */
import { startPontoon } from '../../src/app/start.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const running = await startPontoon(options);
process.stdout.write(`url ${running.url}\n`);
process.on('SIGTERM', () => {
  running.close().then(() => process.exit(0), () => process.exit(1));
});
