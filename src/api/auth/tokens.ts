import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { isRole, roles, type Grants, type Principal, type Role } from '../../domain/access.js';

/**
 * A token is 32 random bytes, so a plain SHA-256 of it is enough to store: a slow password hash
 * guards guessable secrets, and nobody guesses 256 bits. The prefix lets secret scanners spot one.
 */
const tokenPrefix = 'pnt_';

/** A new bearer token, to be shown once and stored only as its hash. */
export function generateToken(): string {
  return tokenPrefix + randomBytes(32).toString('base64url');
}

/** The hex SHA-256 of a token: what the tokens file keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** One entry of the tokens file: a token's hash, a name for logs, and its roles by namespace. */
export interface TokenEntry {
  name: string;
  sha256: string;
  roles: Grants;
}

/** A Kubernetes user or group (as TokenReview reports it) and the roles it holds. */
export interface SubjectEntry {
  user?: string;
  group?: string;
  roles: Grants;
}

/** The tokens document: `tokens` for bearer tokens, `subjects` for Kubernetes identities. */
export interface TokensDocument {
  tokens: TokenEntry[];
  subjects: SubjectEntry[];
}

function grantsFrom(value: unknown, where: string): Grants {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}.roles must map namespaces (or "*") to a role`);
  const grants: Record<string, Role> = {};
  for (const [namespace, role] of Object.entries(value)) {
    if (!isRole(role)) throw new Error(`${where}.roles.${namespace} must be viewer, invoker, deployer or admin, not ${JSON.stringify(role)}`);
    grants[namespace] = role;
  }
  return grants;
}

/** Reads a tokens document (YAML or JSON text); throws an Error naming the bad entry. */
export function parseTokensDocument(text: string, source: string): TokensDocument {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : parse(text);
  } catch (thrown) {
    throw new Error(`${source} is not valid YAML or JSON: ${(thrown as Error).message}`);
  }
  const record = (value ?? {}) as { tokens?: unknown; subjects?: unknown };
  if (typeof record !== 'object' || Array.isArray(record)) throw new Error(`${source} must be a mapping with tokens: and subjects: lists`);
  const list = (field: 'tokens' | 'subjects') => {
    const items = record[field] ?? [];
    if (!Array.isArray(items)) throw new Error(`${source}: ${field} must be a list`);
    return items as Record<string, unknown>[];
  };
  const tokens = list('tokens').map((entry, index) => {
    const where = `${source}: tokens[${index}]`;
    if (typeof entry?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) throw new Error(`${where}.sha256 must be the hex SHA-256 of the token (pontoon token create writes it)`);
    return { name: typeof entry.name === 'string' ? entry.name : `token ${entry.sha256.slice(0, 8)}`, sha256: entry.sha256, roles: grantsFrom(entry.roles, where) };
  });
  const subjects = list('subjects').map((entry, index) => {
    const where = `${source}: subjects[${index}]`;
    if (typeof entry?.user !== 'string' && typeof entry?.group !== 'string') throw new Error(`${where} must name a user or a group`);
    return { user: entry.user as string | undefined, group: entry.group as string | undefined, roles: grantsFrom(entry.roles, where) };
  });
  return { tokens, subjects };
}

/** Finds who a bearer token belongs to, or nothing. */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | undefined>;
}

/** Merges grants, keeping the stronger role where both name a namespace. */
export function mergeGrants(into: Record<string, Role>, grants: Grants): void {
  for (const [namespace, role] of Object.entries(grants)) {
    if (into[namespace] === undefined || roles.indexOf(role) > roles.indexOf(into[namespace])) into[namespace] = role;
  }
}
