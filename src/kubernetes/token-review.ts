import type { Principal, Role } from '../domain/access.js';
import { PontoonError, asError } from '../domain/errors.js';
import { hashToken, mergeGrants, type Authenticator, type SubjectEntry } from '../api/auth/tokens.js';
import type { KubeApi, KubeObject } from './kube-api.js';

interface TokenReview extends KubeObject {
  status?: { authenticated?: boolean; user?: { username?: string; groups?: string[] }; error?: string };
}

/** How long an answer of the API server is trusted: a revoked token stops working within it. */
const cacheMs = 10_000;
/** Cached answers kept at most; past it the oldest go first, so unknown tokens cannot grow memory. */
const cacheSize = 10_000;

/**
 * Recognises Kubernetes tokens (a ServiceAccount's, or any the cluster's authenticators accept)
 * with a TokenReview, and gives them the roles the tokens document grants to their user name or
 * groups (`subjects:`). A token the cluster knows but no subject names gets no access.
 */
export class TokenReviewAuthenticator implements Authenticator {
  private readonly cache = new Map<string, { at: number; principal: Principal | undefined }>();

  constructor(
    private readonly api: KubeApi,
    private readonly subjects: () => SubjectEntry[],
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(token: string): Promise<Principal | undefined> {
    const key = hashToken(token);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < cacheMs) return cached.principal;
    let review: TokenReview;
    try {
      review = await this.api.create<TokenReview>('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    } catch (thrown) {
      // Not the caller's fault, and not a verdict on the token: try again later.
      throw new PontoonError('NOT_READY', `cannot check the token with the Kubernetes API server (TokenReview): ${asError(thrown).message}`);
    }
    const principal = review.status?.authenticated ? this.principalFor(review.status.user ?? {}) : undefined;
    if (this.cache.size >= cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { at: this.now(), principal });
    return principal;
  }

  private principalFor(user: { username?: string; groups?: string[] }): Principal | undefined {
    const grants: Record<string, Role> = {};
    for (const subject of this.subjects()) {
      if ((subject.user !== undefined && subject.user === user.username) || (subject.group !== undefined && (user.groups ?? []).includes(subject.group))) {
        mergeGrants(grants, subject.roles);
      }
    }
    return Object.keys(grants).length > 0 ? { name: user.username ?? 'kubernetes user', grants } : undefined;
  }
}
