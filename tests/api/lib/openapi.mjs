// docs/openapi.yaml as a test oracle: every response the API tests receive
// on a documented path is checked against the operation that documents it
// (status, Content-Type, and the JSON body against its schema). The
// document is read and its schemas compiled once, on first use.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const SPEC_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/openapi.yaml');
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Component schemas are registered with ajv under this base; a local
// "#/components/schemas/X" becomes "<base>X".
const SCHEMA_BASE = 'https://slate.invalid/openapi/schemas/';

/** The value at a local JSON pointer ("#/a/b") in doc, or undefined. */
export function resolvePointer(doc, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
  let node = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Every {$ref} in doc, with the JSON pointer of the object holding it. */
export function allRefs(doc) {
  const out = [];
  const walk = (node, at) => {
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') out.push({ at, ref: node.$ref });
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(doc, '#');
  return out;
}

/** A deep copy of a schema with component references turned into ajv ids. */
function forAjv(schema) {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string') {
      const m = /^#\/components\/schemas\/([^/]+)$/.exec(v);
      if (!m) throw new Error(`openapi.yaml: a schema $ref must name a component schema: ${v}`);
      out.$ref = SCHEMA_BASE + m[1];
    } else {
      out[k] = forAjv(v);
    }
  }
  return out;
}

/** Follows a component $ref (responses, parameters) to the object it names. */
function deref(doc, node) {
  let n = node;
  for (let hops = 0; n && typeof n.$ref === 'string'; hops++) {
    if (hops > 8) throw new Error(`openapi.yaml: a $ref chain does not end at ${node.$ref}`);
    const next = resolvePointer(doc, n.$ref);
    if (next === undefined) throw new Error(`openapi.yaml: unresolved $ref ${n.$ref}`);
    n = next;
  }
  return n;
}

function isJson(mediaType) {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function templateRegex(template) {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // a parameter, or a parameter with a literal tail ("{cid}.pdf")
  const parts = template.split('/').map((seg) => {
    const m = /^\{[^}]+\}(.*)$/.exec(seg);
    return m ? `[^/]+${escape(m[1])}` : escape(seg);
  });
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * Loads, checks and compiles docs/openapi.yaml. Returns
 * {doc, ajv, paths: [{template, regex, literals, item}], validators: Map(schema object → validate)}.
 */
export function loadSpec(file = SPEC_PATH) {
  const doc = YAML.parse(readFileSync(file, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  for (const { at, ref } of allRefs(doc)) {
    if (resolvePointer(doc, ref) === undefined) throw new Error(`openapi.yaml: ${at} refers to ${ref}, which is not there`);
  }
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    ajv.addSchema({ ...forAjv(schema), $id: SCHEMA_BASE + name });
  }
  // Compile every component schema now, so a broken one fails here and not
  // in the middle of whichever test first meets it.
  for (const name of Object.keys(doc.components?.schemas ?? {})) ajv.getSchema(SCHEMA_BASE + name);

  const validators = new Map();
  const compile = (schema, where) => {
    if (!validators.has(schema)) {
      try {
        validators.set(schema, ajv.compile(forAjv(schema)));
      } catch (e) {
        throw new Error(`openapi.yaml: the schema of ${where} does not compile: ${e.message}`);
      }
    }
    return validators.get(schema);
  };
  const paths = [];
  for (const [template, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        for (const [type, media] of Object.entries(deref(doc, r).content ?? {})) {
          if (media.schema) compile(media.schema, `${method.toUpperCase()} ${template} ${status} ${type}`);
        }
      }
      const body = op.requestBody && deref(doc, op.requestBody);
      for (const [type, media] of Object.entries(body?.content ?? {})) {
        if (media.schema) compile(media.schema, `${method.toUpperCase()} ${template} request ${type}`);
      }
    }
    paths.push({
      template,
      regex: templateRegex(template),
      // a segment with a literal tail counts as half a literal: "{cid}.pdf" before "{cid}"
      literals: template.split('/').reduce((n, s) => n + (!s ? 0 : !s.startsWith('{') ? 1 : s.endsWith('}') ? 0 : 0.5), 0),
      item,
    });
  }
  return { doc, ajv, paths, validators, compile };
}

let cached;
function spec() {
  cached ??= loadSpec();
  return cached;
}

/** The documented path template a request path (query and fragment ignored) falls under, or null. */
export function matchPath(requestPath) {
  const p = String(requestPath).split(/[?#]/)[0];
  let best = null;
  for (const entry of spec().paths) {
    if (entry.regex.test(p) && (best === null || entry.literals > best.literals)) best = entry;
  }
  return best;
}

function fail(what, problems, res) {
  const body = res.body ?? res.text ?? '';
  throw new assert.AssertionError({
    message: `${what} does not match docs/openapi.yaml:\n  ${problems.join('\n  ')}\n  body: ${String(body).slice(0, 2000)}`,
  });
}

function mediaTypeOf(headers) {
  const ct = headers['content-type'];
  return ct === undefined ? undefined : String(ct).split(';')[0].trim().toLowerCase();
}

function bodyBytes(res) {
  if (res.raw !== undefined) return res.raw.length;
  if (Buffer.isBuffer(res.body)) return res.body.length;
  return Buffer.byteLength(res.body ?? res.text ?? '');
}

/**
 * Checks one response against the operation documented for method + path.
 * res: {status, headers (lower-cased), body or text, raw?, json?}.
 * Returns false when the path is not documented (nothing checked), true when
 * the response fits; throws an AssertionError naming method, path, status
 * and what does not fit otherwise.
 */
export function checkResponse(method, requestPath, res) {
  const s = spec();
  const entry = matchPath(requestPath);
  if (entry === null) return false;
  const m = String(method).toUpperCase();
  const head = m === 'HEAD';
  const op = entry.item[head ? 'get' : m.toLowerCase()];
  const what = `${m} ${requestPath} (${entry.template}) → ${res.status}`;
  let response;
  if (!op) {
    // The router's answer to a method the path does not have.
    if (res.status !== 405) fail(what, [`${m} is not documented for ${entry.template}, so the answer must be 405`], res);
    if (!res.headers.allow) fail(what, ['a 405 without an Allow header'], res);
    response = s.doc.components.responses.Problem;
  } else {
    const r = op.responses?.[String(res.status)] ?? op.responses?.[`${String(res.status)[0]}XX`] ?? op.responses?.default;
    if (!r) fail(what, [`status ${res.status} is not documented, and the operation has no default response`], res);
    response = deref(s.doc, r);
  }
  const content = response.content ?? {};
  const types = Object.keys(content);
  const got = mediaTypeOf(res.headers);
  if (types.length === 0) {
    const problems = [];
    if (got !== undefined) problems.push(`documented without a body, but Content-Type is ${res.headers['content-type']}`);
    if (bodyBytes(res) !== 0) problems.push(`documented without a body, but ${bodyBytes(res)} bytes came`);
    if (problems.length) fail(what, problems, res);
    return true;
  }
  if (got === undefined || !types.includes(got)) {
    fail(what, [`Content-Type ${res.headers['content-type'] ?? '(none)'} is not one of ${types.join(', ')}`], res);
  }
  const schema = content[got].schema;
  if (head || !schema || !isJson(got)) return true;
  let value = res.json;
  if (value === undefined) {
    try {
      value = JSON.parse(Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body ?? res.text);
    } catch {
      fail(what, ['the body is not JSON'], res);
    }
  }
  const validate = s.compile(schema, what);
  if (!validate(value)) {
    fail(what, validate.errors.map((e) => `${e.instancePath || '(the body)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`), res);
  }
  if (got === 'application/problem+json' && value.status !== res.status) {
    fail(what, [`the problem says status ${value.status}, the response is ${res.status}`], res);
  }
  return true;
}
