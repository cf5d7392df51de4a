import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { attemptEndpointFromEnv, callController } from './controller-client.js';

/**
 * The init container's job: put the attempt's input where PONTOON_INPUT says, from the pod spec
 * (PONTOON_INPUT_JSON) or, for a large input, from the controller. The shared directory is made
 * writable by any user, since the function's image may run as a user other than the observer's.
 */
export async function writeInput(env: NodeJS.ProcessEnv): Promise<void> {
  const path = env.PONTOON_INPUT;
  if (!path) throw new Error('missing environment: PONTOON_INPUT');
  let json = env.PONTOON_INPUT_JSON;
  if (json === undefined) {
    const endpoint = attemptEndpointFromEnv(env);
    const answer = await withRetries(() => callController(endpoint, 'input'));
    if (answer.status !== 200) throw new Error(`the controller did not give the input: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
    json = answer.text;
  }
  JSON.parse(json); // refuse to hand the program something that is not JSON
  mkdirSync(dirname(path), { recursive: true });
  chmodSync(dirname(path), 0o1777);
  writeFileSync(path, json, { mode: 0o644 });
}

/** Retries a call that failed to connect (the controller restarting), a few times with back-off. */
export async function withRetries<T>(call: () => Promise<T>, tries = 5): Promise<T> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (thrown) {
      if (attempt >= tries) throw thrown;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
