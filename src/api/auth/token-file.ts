import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import type { Grants, Principal } from '../../domain/access.js';
import { generateToken, hashToken, parseTokensDocument, type Authenticator, type TokenEntry, type TokensDocument } from './tokens.js';

/** The variable that may hold a whole tokens document (YAML or JSON), beside or instead of a file. */
export const tokensVariable = 'PONTOON_TOKENS';

/**
 * The tokens of a file and of the environment. The file is read again when it changes (checked at
 * most once a second), so a token added with `pontoon token create`, or a Kubernetes Secret that
 * the kubelet updates in place, takes effect without a restart.
 */
export class TokenStore implements Authenticator {
  private document: TokensDocument;
  private fileStamp = '';
  private checkedAt = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly environmentText: string | undefined,
  ) {
    this.document = this.load();
  }

  /** True if any token or subject is configured. */
  configured(): boolean {
    this.refresh();
    return this.document.tokens.length > 0 || this.document.subjects.length > 0;
  }

  /** The Kubernetes users and groups the document grants roles to. */
  subjects(): TokensDocument['subjects'] {
    this.refresh();
    return this.document.subjects;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    this.refresh();
    // Looked up by hash: comparing hashes leaks nothing an attacker could use to build a token.
    const hash = hashToken(token);
    const entry = this.document.tokens.find((candidate) => candidate.sha256 === hash);
    return entry && { name: entry.name, grants: entry.roles, key: entry.sha256 };
  }

  private stamp(): string {
    if (!this.file || !existsSync(this.file)) return '';
    const stat = statSync(this.file);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  }

  private load(): TokensDocument {
    this.fileStamp = this.stamp();
    const fromFile = this.fileStamp === '' ? { tokens: [], subjects: [] } : parseTokensDocument(readFileSync(this.file!, 'utf8'), this.file!);
    const fromEnvironment = this.environmentText ? parseTokensDocument(this.environmentText, tokensVariable) : { tokens: [], subjects: [] };
    return { tokens: [...fromFile.tokens, ...fromEnvironment.tokens], subjects: [...fromFile.subjects, ...fromEnvironment.subjects] };
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    if (this.stamp() === this.fileStamp) return;
    try {
      this.document = this.load();
    } catch {
      // A half-written or broken file keeps the last good tokens rather than locking everyone out.
    }
  }
}

/** Adds a token's hash to a tokens file (created 0600 if absent); returns the entry written. */
export function appendToken(file: string, token: string, name: string, grants: Grants): TokenEntry {
  const document = existsSync(file) ? parseTokensDocument(readFileSync(file, 'utf8'), file) : { tokens: [], subjects: [] };
  const entry = { name, sha256: hashToken(token), roles: grants };
  document.tokens.push(entry);
  mkdirSync(dirname(file), { recursive: true });
  const { subjects, tokens } = document;
  writeFileSync(file, stringify(subjects.length > 0 ? { tokens, subjects } : { tokens }), { mode: 0o600 });
  chmodSync(file, 0o600);
  return entry;
}

/** Makes a new token, adds its hash to a tokens file and returns the token (shown once, never stored). */
export function createTokenInFile(file: string, name: string, grants: Grants): string {
  const token = generateToken();
  appendToken(file, token, name, grants);
  return token;
}
