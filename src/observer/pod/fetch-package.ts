import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Unpack } from 'tar';

/**
 * The package init container (`pontoon-observer package`): fetches the function's uploaded
 * package from the controller with the pod's token, refuses bytes whose sha256 is not the one in
 * the pod spec, and unpacks them into the shared volume for the runtime image to build and run.
 * The controller checked every entry at upload; the hash proves these are those bytes.
 */
export async function fetchPackage(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const missing = ['PONTOON_PACKAGE_URL', 'PONTOON_PACKAGE_SHA256', 'PONTOON_PACKAGE_DIR', 'PONTOON_PACKAGE_TOKEN'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  const expected = env.PONTOON_PACKAGE_SHA256!;
  const response = await fetch(env.PONTOON_PACKAGE_URL!, { headers: { authorization: `Bearer ${env.PONTOON_PACKAGE_TOKEN}` }, signal: AbortSignal.timeout(120_000) });
  if (response.status !== 200) throw new Error(`the controller answered ${response.status} for the package: ${(await response.text()).slice(0, 500)}`);
  const archive = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== expected) throw new Error(`the package fetched has sha256 ${actual}, not ${expected}: refusing to run it`);
  const dir = env.PONTOON_PACKAGE_DIR!;
  await mkdir(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const unpack = new Unpack({ cwd: dir, strict: true, preserveOwner: false });
    unpack.on('error', reject);
    unpack.on('close', () => resolve());
    unpack.end(archive);
  });
  log(`package ${expected} (${archive.length} bytes) unpacked into ${dir}`);
}
