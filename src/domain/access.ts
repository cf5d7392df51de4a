/**
 * Who may do what in which namespace. Pure data and rules: the API's auth hook asks these, and the
 * tests of the auth matrix read the same table.
 */

/** A role held in a namespace; each includes the ones before it. */
export type Role = 'viewer' | 'invoker' | 'deployer' | 'admin';

/** The roles, weakest first. */
export const roles: readonly Role[] = ['viewer', 'invoker', 'deployer', 'admin'];

/**
 * What a route does, and so which role it needs: `read` (viewer), `invoke` and cancel (invoker),
 * `deploy` and delete (deployer), `admin` (admin).
 */
export type Action = 'read' | 'invoke' | 'deploy' | 'admin';

/** The weakest role allowed each action. */
export const roleFor: Record<Action, Role> = { read: 'viewer', invoke: 'invoker', deploy: 'deployer', admin: 'admin' };

/** The namespace name that stands for every namespace in a grant. */
export const anyNamespace = '*';

/** A caller's roles, by namespace (`*` for all of them). */
export type Grants = Readonly<Record<string, Role>>;

/** Someone the API has recognised: a name for logs and limits, and the roles they hold. */
export interface Principal {
  /** A token's name (from the tokens file) or a Kubernetes user name; `anonymous` when auth is off. */
  name: string;
  grants: Grants;
  /** What per-caller limits count by: the token's hash, so two tokens given one name keep apart. Default: the name. */
  key?: string;
}

/** True if `role` is a role name. */
export function isRole(role: unknown): role is Role {
  return typeof role === 'string' && (roles as readonly string[]).includes(role);
}

/** The strongest role a principal holds in a namespace (its own grant or the `*` one), if any. */
export function roleIn(grants: Grants, namespace: string): Role | undefined {
  const own = Object.hasOwn(grants, namespace) ? grants[namespace] : undefined;
  const all = Object.hasOwn(grants, anyNamespace) ? grants[anyNamespace] : undefined;
  if (own === undefined) return all;
  if (all === undefined) return own;
  return roles.indexOf(own) >= roles.indexOf(all) ? own : all;
}

/** True if `role` is allowed `action`. */
export function roleAllows(role: Role, action: Action): boolean {
  return roles.indexOf(role) >= roles.indexOf(roleFor[action]);
}

/**
 * How a principal stands in a namespace for an action: `allowed`; `forbidden` (it holds a weaker
 * role there, so it may know the namespace exists: 403); `hidden` (no role there: the API answers
 * 404, as for a namespace that does not exist, so names in other namespaces do not leak).
 */
export function decide(grants: Grants, namespace: string, action: Action): 'allowed' | 'forbidden' | 'hidden' {
  const role = roleIn(grants, namespace);
  if (role === undefined) return 'hidden';
  return roleAllows(role, action) ? 'allowed' : 'forbidden';
}

/** True if the principal may do `action` in at least one namespace (routes that span namespaces). */
export function allowedSomewhere(grants: Grants, action: Action): boolean {
  return Object.values(grants).some((role) => roleAllows(role, action));
}

/** Grants that allow everything: the principal of a server that runs with auth off. */
export const everything: Grants = { [anyNamespace]: 'admin' };
