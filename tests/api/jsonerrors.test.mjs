// A malformed JSON body is answered in Slate's words (issue 15 item 14): the
// problem's detail names what is wrong and where (line, column), never the
// parser's own text (jansson's messages name its flags, such as
// JSON_ALLOW_NUL, and echo the offending token).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, assertProblem } from './lib/harness.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

// Slate's own messages (src/http/body.c); a position may follow.
const SLATE = [
  'malformed JSON',
  'the JSON ends too early',
  'something follows the JSON object',
  'a NUL character (\\u0000) is not accepted',
  'a key appears twice in one object',
  'a number is too large',
  'the request body is not valid UTF-8',
  'the JSON nests too deeply',
  'the JSON nests deeper than 32 levels',
  'the request body is empty; a JSON object is expected',
  'the request body must be a JSON object',
];
const POSITION = / at line \d+, column \d+$/;

// Phrases from jansson's load.c and value.c: none may reach a client.
const JANSSON = [
  'JSON_ALLOW_NUL', 'NUL byte', 'not supported', 'end of file expected', 'premature end of input',
  'unexpected token', 'invalid token', 'near ', 'duplicate object key', 'too big', 'real number overflow',
  'invalid escape', 'invalid Unicode', 'control character', 'unexpected newline', 'maximum parsing depth',
  "'[' or '{' expected", "string or '}' expected", "':' expected", "',' or '}' expected",
  "',' or ']' expected", 'Invalid UTF-8', 'invalid UTF-8', 'wrong arguments', 'Unable to', 'jansson',
];

const BODIES = [
  ['a NUL escape in a string', '{"email":"a\\u0000b@example.org","password":"x"}'],
  ['a NUL escape in a key', '{"em\\u0000ail":"a@example.org","password":"x"}'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
  ['a lone surrogate escape', '{"email":"\\ud800","password":"x"}'],
  ['trailing garbage', '{"email":"a@example.org","password":"x"} and more'],
  ['a second object', '{"email":"a@example.org","password":"x"}{}'],
  ['deep nesting', `{"email":${'['.repeat(200)}`],
  ['nesting just past the limit', `{"a":${'['.repeat(40)}${']'.repeat(40)}}`],
  ['an early end', '{"email":'],
  ['a duplicate key', '{"email":"a@example.org","email":"b@example.org","password":"x"}'],
  ['a huge integer', '{"email":"a@example.org","password":"x","n":123456789012345678901234567890}'],
  ['a huge real', '{"email":"a@example.org","password":"x","n":1e999}'],
  ['an invalid escape', '{"email":"\\q","password":"x"}'],
  ['a control character', '{"email":"a\u0001b","password":"x"}'],
  ['a raw newline in a string', '{"email":"a\nb","password":"x"}'],
  ['a bad literal', '{"email":tru,"password":"x"}'],
  ['single quotes', "{'email':'a@example.org'}"],
  ['a missing colon', '{"email" "a@example.org"}'],
  ['a missing comma', '{"email":"a" "password":"x"}'],
  ['an unclosed array', '{"a":[1,2}'],
  ['not JSON at all', 'email=a@example.org&password=x'],
  ['an array', '[1,2]'],
  ['empty', ''],
];

test('a malformed JSON body gets Slate\'s own words, never the parser\'s', async () => {
  for (const [what, body] of BODIES) {
    const res = await request(server, {
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { origin: server.origin, 'content-type': 'application/json' },
      body,
    });
    const p = assertProblem(res, 400, what);
    for (const phrase of JANSSON) {
      assert.ok(!p.detail.includes(phrase), `${what}: detail ${JSON.stringify(p.detail)} holds jansson's "${phrase}"`);
    }
    const message = p.detail.replace(POSITION, '');
    assert.ok(SLATE.includes(message), `${what}: ${JSON.stringify(p.detail)} is not one of Slate's messages`);
  }
});
