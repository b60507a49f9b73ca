// docs/openapi.yaml is the machine-readable contract: it describes exactly
// the routes of src/api/routes.c, every reference in it resolves, and every
// schema in it compiles. (lib/harness.mjs checks each response the other
// API tests receive against it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec, allRefs, resolvePointer, matchPath, checkResponse, METHODS } from './lib/openapi.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const spec = loadSpec();
const { doc } = spec;

// The production export route is described in the document ahead of the
// code that serves it: the table must grow to match.
const EXPECTED_EXTRA = ['GET /api/v1/productions/{id}/export'];

function routesFromTable() {
  const src = readFileSync(path.join(root, 'src/api/routes.c'), 'utf8');
  return [...src.matchAll(/\{\s*"([A-Z]+)",\s*"([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
}

function operationsFromSpec() {
  const ops = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) ops.push(`${method.toUpperCase()} ${template}`);
  }
  return ops;
}

test('the route table has no route twice', () => {
  const routes = routesFromTable();
  assert.ok(routes.length >= 60, `expected the route table, found ${routes.length} routes`);
  assert.deepEqual(routes.filter((r, i) => routes.indexOf(r) !== i), []);
});

test('docs/openapi.yaml describes exactly the routes of src/api/routes.c', () => {
  const fromCode = new Set(routesFromTable());
  const fromSpec = new Set(operationsFromSpec());
  const undocumented = [...fromCode].filter((r) => !fromSpec.has(r)).sort();
  const unserved = [...fromSpec].filter((r) => !fromCode.has(r)).sort();
  assert.deepEqual(undocumented, [], 'routes the document does not describe');
  assert.deepEqual(unserved, [], 'operations the route table does not have');
});

test('the production export route is in both the document and the route table', () => {
  const fromCode = new Set(routesFromTable());
  const fromSpec = new Set(operationsFromSpec());
  for (const op of EXPECTED_EXTRA) {
    assert.ok(fromSpec.has(op), `docs/openapi.yaml lacks ${op}`);
    assert.ok(fromCode.has(op), `src/api/routes.c lacks ${op}`);
  }
});

test('docs/openapi.yaml is an OpenAPI 3.1 document', () => {
  assert.match(String(doc.openapi), /^3\.1\.\d+$/);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.equal(typeof doc.paths, 'object');
  for (const [template, item] of Object.entries(doc.paths)) {
    assert.match(template, /^\//, `path ${template} does not start with /`);
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${template}`;
      assert.equal(typeof op.summary, 'string', `${where} has no summary`);
      assert.ok(op.responses && Object.keys(op.responses).length, `${where} has no responses`);
      assert.deepEqual(op.responses.default, { $ref: '#/components/responses/Problem' }, `${where}: default is not the Problem response`);
      for (const status of Object.keys(op.responses)) {
        assert.match(status, /^(default|[1-5](\d\d|XX))$/, `${where}: response key ${status}`);
        const r = op.responses[status].$ref ? resolvePointer(doc, op.responses[status].$ref) : op.responses[status];
        assert.equal(typeof r.description, 'string', `${where} ${status} has no description`);
      }
      const params = (op.parameters ?? []).map((p) => (p.$ref ? resolvePointer(doc, p.$ref) : p));
      const inPath = params.filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual([...inPath].sort(), [...names].sort(), `${where}: path parameters`);
      for (const p of params.filter((q) => q.in === 'path')) assert.equal(p.required, true, `${where}: {${p.name}} must be required`);
      for (const s of op.security ?? doc.security) {
        for (const name of Object.keys(s)) assert.ok(doc.components.securitySchemes[name], `${where}: unknown security scheme ${name}`);
      }
    }
  }
  const ids = operationsFromSpec().map((o) => {
    const [m, t] = o.split(' ');
    return doc.paths[t][m.toLowerCase()].operationId;
  });
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'operationIds are unique');
});

test('every $ref in docs/openapi.yaml resolves', () => {
  const refs = allRefs(doc);
  assert.ok(refs.length > 100);
  const broken = refs.filter(({ ref }) => resolvePointer(doc, ref) === undefined).map(({ at, ref }) => `${at} → ${ref}`);
  assert.deepEqual(broken, []);
});

test('every schema in docs/openapi.yaml compiles', () => {
  for (const name of Object.keys(doc.components.schemas)) {
    assert.equal(typeof spec.ajv.getSchema(`https://slate.invalid/openapi/schemas/${name}`), 'function', `component ${name}`);
  }
  // loadSpec compiled every response and request body schema, or threw.
  assert.ok(spec.validators.size >= 80, `only ${spec.validators.size} schemas compiled`);
});

test('the session cookie and bearer token schemes are declared', () => {
  const s = doc.components.securitySchemes;
  assert.deepEqual([s.sessionCookie.type, s.sessionCookie.in, s.sessionCookie.name], ['apiKey', 'cookie', '__Host-slate_session']);
  assert.deepEqual([s.csrfToken.type, s.csrfToken.in, s.csrfToken.name], ['apiKey', 'header', 'X-CSRF-Token']);
  assert.deepEqual([s.apiToken.type, s.apiToken.scheme], ['http', 'bearer']);
});

// The checker itself: a response that strays from the document fails.
test('the response checker refuses what the document does not allow', () => {
  const ok = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}', json: { status: 'ok' } };
  assert.equal(checkResponse('GET', '/healthz', ok), true);
  assert.equal(checkResponse('GET', '/no/such/route', { status: 404, headers: {}, body: '' }), false);
  assert.equal(matchPath('/api/v1/productions/prd_x/days/day_y/calls?z=1').template, '/api/v1/productions/{id}/days/{did}/calls');
  const bad = [
    ['an undocumented field', 'GET', '/healthz', { ...ok, body: '{"status":"ok","x":1}', json: { status: 'ok', x: 1 } }],
    ['a wrong type of body', 'GET', '/healthz', { ...ok, headers: { 'content-type': 'text/plain' } }],
    ['a body on a 204', 'POST', '/api/v1/auth/logout', { status: 204, headers: { 'content-type': 'application/json' }, body: '{}' }],
    ['a success status not documented', 'POST', '/api/v1/productions', { ...ok, status: 200 }],
    ['a problem without request_id', 'GET', '/api/v1/me', {
      status: 401,
      headers: { 'content-type': 'application/problem+json' },
      body: '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"sign in first"}',
    }],
    ['a problem whose status is not the response\'s', 'GET', '/api/v1/me', {
      status: 403,
      headers: { 'content-type': 'application/problem+json' },
      body: '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"sign in first","request_id":"0123456789abcdef01234567"}',
    }],
    ['another method than 405 on a documented path', 'PUT', '/healthz', { ...ok }],
  ];
  for (const [name, method, p, res] of bad) {
    assert.throws(() => checkResponse(method, p, res), (e) => e instanceof assert.AssertionError && e.message.includes(`${method} ${p}`), name);
  }
});
