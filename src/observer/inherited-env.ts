/**
 * What a program inherits from the server's own environment: the variables any process needs to
 * run (PATH, HOME, user, shell, locale, time zone, temp dir, terminal) and those the operator passes
 * on by name, nothing else. A server's environment holds its settings and secrets (a PostgreSQL URL
 * with its password, cloud credentials), which no function should see, just as a container in a
 * Kubernetes Job sees only its pod's env. spec.env and the contract variables come on top.
 */
export const inheritedByDefault: readonly string[] = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM'];

/** The name a passed-on variable must have (POSIX shells' own rule). */
export const environmentVariableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variables of `env` a program inherits: the defaults, any `LC_*`, and the `passed` names. */
export function inheritedEnv(env: NodeJS.ProcessEnv, passed: readonly string[] = []): Record<string, string> {
  const names = new Set([...inheritedByDefault, ...passed]);
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (names.has(name) || name.startsWith('LC_'))) kept[name] = value;
  }
  return kept;
}
