import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashToken } from '../../src/api/auth/tokens.js';
import { roleAllows, roles, type Action, type Role } from '../../src/domain/access.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

/** What each operation of the API requires; a route missing here fails the test below. */
const expected: Record<string, 'public' | 'authenticated' | 'some:read' | Action> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'some:read',
  'GET /v1/schema': 'authenticated',
  'GET /v1/functions': 'some:read',
  'GET /v1/namespaces/{ns}/functions': 'read',
  'GET /v1/namespaces/{ns}/functions/{name}': 'read',
  'PUT /v1/namespaces/{ns}/functions/{name}': 'deploy',
  'DELETE /v1/namespaces/{ns}/functions/{name}': 'deploy',
  'POST /v1/namespaces/{ns}/packages': 'deploy',
  'POST /v1/namespaces/{ns}/functions/{name}/invoke': 'invoke',
  'POST /v1/namespaces/{ns}/functions/{name}/batch': 'invoke',
  'GET /v1/namespaces/{ns}/executions': 'read',
  'GET /v1/namespaces/{ns}/executions/{id}': 'read',
  'POST /v1/namespaces/{ns}/executions/{id}/cancel': 'invoke',
  'GET /v1/namespaces/{ns}/executions/{id}/logs': 'read',
  'GET /v1/namespaces/{ns}/schedules': 'read',
  'POST /v1/namespaces/{ns}/events': 'invoke',
  'GET /v1/namespaces/{ns}/rules': 'read',
  'GET /v1/namespaces/{ns}/rules/{name}': 'read',
  'PUT /v1/namespaces/{ns}/rules/{name}': 'deploy',
  'DELETE /v1/namespaces/{ns}/rules/{name}': 'deploy',
  'GET /v1/namespaces/{ns}/deliveries': 'read',
  'GET /v1/namespaces/{ns}/stats/functions': 'read',
  'GET /v1/namespaces/{ns}/stats/series': 'read',
};

const tokens: Record<Role | 'outsider' | 'root', string> = {
  viewer: 'matrix-viewer-token',
  invoker: 'matrix-invoker-token',
  deployer: 'matrix-deployer-token',
  admin: 'matrix-admin-token',
  // Admin of another namespace: strong, but holds nothing in `team`.
  outsider: 'matrix-outsider-token',
  root: 'matrix-root-token',
};

/** A tokens document: each role in namespace `team`, the outsider in `other`, root in every one. */
export function matrixTokensDocument(): string {
  const entry = (name: string, rolesByNamespace: Record<string, string>) => ({ name, sha256: hashToken(tokens[name as keyof typeof tokens]), roles: rolesByNamespace });
  return stringify({
    tokens: [...roles.map((role) => entry(role, { team: role })), entry('outsider', { other: 'admin' }), entry('root', { '*': 'admin' })],
  });
}

const fnDocument = { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'fn' }, spec: { runtime: 'command', command: ['true'] } };

describe('the auth matrix: every route, without a token, with a wrong one and with each role', () => {
  let pontoon: TestPontoon;
  let operations: { method: string; path: string; access: unknown }[];
  let executionId: string;

  before(async () => {
    pontoon = await startTestPontoon({ auth: { tokens: matrixTokensDocument() } }, tokens.root);
    const document = (await pontoon.request('GET', '/openapi.json')).body;
    operations = Object.entries(document.paths as Record<string, Record<string, { 'x-pontoon-access': unknown }>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, access: operation['x-pontoon-access'] })),
    );
    assert.equal((await pontoon.request('PUT', '/v1/namespaces/team/functions/fn', fnDocument)).status, 201);
    const invoked = await pontoon.request('POST', '/v1/namespaces/team/functions/fn/invoke', {});
    executionId = invoked.body.id;
  });
  after(() => pontoon?.close());

  /** One request of an operation with a token (or none), with a body the route accepts. */
  async function call(operation: { method: string; path: string }, token: string | undefined) {
    const path = operation.path.replace('{ns}', 'team').replace('{name}', 'fn').replace('{id}', executionId);
    const body = operation.method === 'PUT' && path.includes('/functions/') ? fnDocument : ['POST', 'PUT'].includes(operation.method) ? {} : undefined;
    return pontoon.request(operation.method, path, body, { authorization: token === undefined ? '' : `Bearer ${token}` });
  }

  const passedAuth = (answer: { status: number; body: any }) =>
    answer.status !== 401 && answer.status !== 403 && !(answer.status === 404 && answer.body?.error?.code === 'NAMESPACE_NOT_FOUND');

  it('every documented operation is in the table and declares its access (no route escapes it)', () => {
    const documented = operations.filter((operation) => operation.method !== 'HEAD').map(({ method, path }) => `${method} ${path}`);
    assert.deepEqual([...documented].sort(), Object.keys(expected).sort());
    for (const operation of operations) assert.equal((operation.access as { undeclared?: boolean }).undeclared, undefined, `${operation.method} ${operation.path} declares no access`);
  });

  it('without a token or with a wrong one, every route but the health checks answers 401 with the error shape', async () => {
    for (const operation of operations) {
      const key = `${operation.method === 'HEAD' ? 'GET' : operation.method} ${operation.path}`;
      for (const token of [undefined, 'not-a-token']) {
        const answer = await call(operation, token);
        if (expected[key] === 'public') {
          assert.ok(answer.status < 400, `${operation.method} ${operation.path}: ${answer.status}`);
          continue;
        }
        assert.equal(answer.status, 401, `${operation.method} ${operation.path} with ${token ?? 'no token'}`);
        if (operation.method !== 'HEAD') assert.equal(answer.body.error.code, 'UNAUTHENTICATED');
      }
    }
  });

  it('each role passes where its role allows and gets 403 elsewhere; a token with no role in the namespace gets 404', async () => {
    for (const operation of operations) {
      const key = `${operation.method === 'HEAD' ? 'GET' : operation.method} ${operation.path}`;
      const need = expected[key];
      for (const role of roles) {
        const answer = await call(operation, tokens[role]);
        const allowed = need === 'public' || need === 'authenticated' || need === 'some:read' || roleAllows(role, need);
        const label = `${operation.method} ${operation.path} as ${role}: ${answer.status} ${JSON.stringify(answer.body)}`;
        if (allowed) assert.ok(passedAuth(answer), label);
        else {
          assert.equal(answer.status, 403, label);
          if (operation.method !== 'HEAD') assert.equal(answer.body.error.code, 'FORBIDDEN', label);
        }
      }
      const outsider = await call(operation, tokens.outsider);
      const label = `${operation.method} ${operation.path} as outsider: ${outsider.status}`;
      if (operation.path.includes('{ns}')) {
        assert.equal(outsider.status, 404, label);
        if (operation.method !== 'HEAD') assert.equal(outsider.body.error.code, 'NAMESPACE_NOT_FOUND', label);
      } else assert.ok(passedAuth(outsider), label);
    }
  });
});

describe('namespaces isolate their objects', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ auth: { tokens: matrixTokensDocument() } }, tokens.root);
    for (const ns of ['team', 'other']) {
      assert.equal((await pontoon.request('PUT', `/v1/namespaces/${ns}/functions/fn`, fnDocument)).status, 201);
    }
  });
  after(() => pontoon?.close());

  it("another namespace's execution answers 404, by its namespace and by its id under one's own", async () => {
    const id = (await pontoon.request('POST', '/v1/namespaces/team/functions/fn/invoke', {})).body.id;
    const outsider = { authorization: `Bearer ${tokens.outsider}` };
    for (const path of [`/v1/namespaces/team/executions/${id}`, `/v1/namespaces/team/executions/${id}/logs`]) {
      const answer = await pontoon.request('GET', path, undefined, outsider);
      assert.equal(answer.status, 404, path);
    }
    const underOwn = await pontoon.request('GET', `/v1/namespaces/other/executions/${id}`, undefined, outsider);
    assert.equal(underOwn.status, 404);
    assert.equal(underOwn.body.error.code, 'EXECUTION_NOT_FOUND');
    const cancel = await pontoon.request('POST', `/v1/namespaces/other/executions/${id}/cancel`, undefined, outsider);
    assert.equal(cancel.status, 404);
    const listed = await pontoon.request('GET', '/v1/namespaces/other/executions', undefined, outsider);
    assert.deepEqual(listed.body.items, []);
  });

  it('the list across namespaces shows only the namespaces the token holds a role in', async () => {
    const namespacesSeen = async (token: string) =>
      ((await pontoon.request('GET', '/v1/functions', undefined, { authorization: `Bearer ${token}` })).body.items as { metadata: { namespace: string } }[]).map((fn) => fn.metadata.namespace).sort();
    assert.deepEqual(await namespacesSeen(tokens.root), ['other', 'team']);
    assert.deepEqual(await namespacesSeen(tokens.outsider), ['other']);
    assert.deepEqual(await namespacesSeen(tokens.viewer), ['team']);
  });
});
