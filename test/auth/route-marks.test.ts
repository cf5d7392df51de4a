import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { installAuth } from '../../src/api/auth/install-auth.js';
import { ownCredential } from '../../src/api/auth/route-access.js';
import { TokenStore } from '../../src/api/auth/token-file.js';
import { hashToken } from '../../src/api/auth/tokens.js';
import { installErrorHandling } from '../../src/api/errors.js';
import type { Store } from '../../src/store/store.js';

const tokens = JSON.stringify({
  tokens: [
    { name: 'root', sha256: hashToken('root'), roles: { '*': 'admin' } },
    { name: 'deployer', sha256: hashToken('deployer'), roles: { team: 'deployer' } },
  ],
});

/** An API with auth on and two routes: one marked as checking its own credential, one unmarked. */
async function api() {
  const app = Fastify();
  installErrorHandling(app, 1024);
  await installAuth(app, { mode: 'tokens', authenticators: [new TokenStore(undefined, tokens)], openMetrics: false, corsOrigins: [], allowedHosts: ['localhost'], invokeRate: 0, maxQueuedPerNamespace: 0 }, {} as Store);
  app.get('/v1/attempts/:id/package', { config: { access: ownCredential } }, async (request, reply) => {
    // The route's own check: an attempt token, not a user's.
    if (request.headers['x-attempt-token'] !== 'attempt-secret') return reply.status(401).send({ error: { code: 'UNAUTHENTICATED', message: 'attempt token' } });
    return { ok: true };
  });
  app.get('/v1/namespaces/:ns/forgotten', async () => ({ ok: true }));
  return app;
}

describe('routes that mark their own access', () => {
  it('a route marked ownCredential is left to its own check: no user token needed, none enough, and no Host check (pods call it by IP)', async () => {
    const app = await api();
    const path = '/v1/attempts/a1/package';
    assert.equal((await app.inject({ url: path, headers: { host: '10.0.0.7:7070', 'x-attempt-token': 'attempt-secret' } })).statusCode, 200);
    assert.equal((await app.inject({ url: path, headers: { authorization: 'Bearer root' } })).statusCode, 401);
  });

  it('a route that declares nothing needs admin: it fails closed', async () => {
    const app = await api();
    const path = '/v1/namespaces/team/forgotten';
    assert.equal((await app.inject({ url: path })).statusCode, 401);
    assert.equal((await app.inject({ url: path, headers: { authorization: 'Bearer deployer' } })).statusCode, 403);
    assert.equal((await app.inject({ url: path, headers: { authorization: 'Bearer root' } })).statusCode, 200);
  });
});
