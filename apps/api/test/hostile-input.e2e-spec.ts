/**
 * Walks every operation of the live OpenAPI document (as the authorization walk does) and sends each one hostile
 * bodies — 5,000-level nesting, `__proto__` and `constructor.prototype` keys, 1e400 and 2^63, lone surrogates in
 * values and keys — and every GET hostile query strings. Every answer is a 4xx problem document with a stable
 * code, never a 500 (SPEC §8), and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { MAX_JSON_DEPTH } from '../src/common/json-body.js';
import { as, seedWorkspace, signIn, startTestApi, type SeededWorkspace, type Session, type TestApi } from '../../../test/support/api.js';
import { inferenceToken } from '../../../test/support/gateway.js';
import { GATEWAY_ROUTES } from '../src/modules/gateway/gateway-http.js';

type Schema = { $ref?: string; type?: string; format?: string; example?: unknown; enum?: unknown[]; items?: Schema; properties?: Record<string, Schema>; required?: string[]; allOf?: Schema[]; additionalProperties?: unknown };
type Op = { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: { in: string; name: string }[] };
type Doc = { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, Schema> } };

interface Route {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  body?: Schema;
}

const HOSTILE_CODES = new Set(['json_too_deep', 'json_forbidden_key', 'invalid_unicode', 'number_out_of_range', 'invalid_json', 'validation_failed']);

describe('hostile input on every route', () => {
  let api: TestApi;
  let doc: Doc;
  let routes: Route[];
  let ws: SeededWorkspace;
  let owner: Session;

  beforeAll(async () => {
    api = await startTestApi();
    doc = (await supertest(api.url).get('/api/docs/openapi.json')).body as Doc;
    routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method as Route['method'], path, body: op.requestBody?.content['application/json']?.schema })),
    );
    ws = await seedWorkspace(api.db);
    owner = await signIn(api.url, ws.users.owner);
  });
  afterAll(() => api.close());

  const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.split('/').pop()!]!) : s);
  const fill = (path: string) => path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');

  /** A body with every declared field: examples where given, else a value of the field's type. */
  function fullBody(schema: Schema): Record<string, unknown> {
    const build = (raw: Schema): unknown => {
      const s = resolve(raw);
      if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => build(x) as object));
      if (s.example !== undefined) return s.example;
      if (s.enum) return s.enum[0];
      if (s.properties) return Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, build(v)]));
      if (s.type === 'object') return {};
      if (s.type === 'array') return s.items ? [build(s.items)] : [];
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (s.type === 'integer' || s.type === 'number') return 1;
      if (s.type === 'boolean') return true;
      return 'example-value-123';
    };
    return build(schema) as Record<string, unknown>;
  }

  /** The body's top-level fields of each kind, from the schema (objects merged through allOf). */
  function fieldsOf(schema: Schema): Record<string, Schema> {
    const s = resolve(schema);
    return Object.assign({}, ...(s.allOf ?? []).map(fieldsOf), Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, resolve(v)])));
  }

  function send(route: Route, rawBody: string, client: 'owner' | 'anonymous' = 'owner') {
    const path = fill(route.path);
    const req = client === 'owner' ? owner.agent[route.method](path).set('x-csrf-token', owner.csrf) : supertest(api.url)[route.method](path);
    return req.set('content-type', 'application/json').send(rawBody);
  }

  async function expectRefused(route: Route, rawBody: string, code: string, what: string) {
    for (const client of ['owner', 'anonymous'] as const) {
      const res = await send(route, rawBody, client);
      const seen = { route: `${route.method} ${route.path}`, what, client, status: res.status, code: res.body?.code };
      expect(seen).toEqual({ ...seen, status: 400, code });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors?.[0]?.field).toEqual(expect.any(String));
    }
  }

  const deep = (levels: number, open: string, close: string, inner = '1') => `${open.repeat(levels)}${inner}${close.repeat(levels)}`;

  it('refuses nesting beyond the limit (5,000 levels; 200,000 levels) before parsing it, on every route with a body', async () => {
    const withBody = routes.filter((r) => r.body);
    expect(withBody.length).toBeGreaterThan(25);
    for (const route of withBody) {
      await expectRefused(route, deep(5_000, '[', ']'), 'json_too_deep', 'array nesting');
      await expectRefused(route, `{"name":${deep(5_000, '{"a":', '}')}}`, 'json_too_deep', 'object nesting in a field');
    }
    await expectRefused(withBody[0]!, deep(200_000, '[', ']'), 'json_too_deep', 'very deep');
  });

  it('refuses prototype-poisoning keys anywhere in a body', async () => {
    for (const route of routes.filter((r) => r.body)) {
      const body = JSON.stringify(fullBody(route.body!));
      await expectRefused(route, `${body.slice(0, -1)}${body.length > 2 ? ',' : ''}"__proto__":{"isAdmin":true}}`, 'json_forbidden_key', '__proto__');
      await expectRefused(route, `{"x":{"y":{"constructor":{"prototype":{"polluted":1}}}}}`, 'json_forbidden_key', 'constructor.prototype');
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses numbers JavaScript cannot hold (1e400, 2^63) in every numeric field, and lone surrogates in every string field and in keys', async () => {
    let numeric = 0;
    let strings = 0;
    for (const route of routes.filter((r) => r.body)) {
      const base = fullBody(route.body!);
      for (const [name, schema] of Object.entries(fieldsOf(route.body!))) {
        if (schema.type === 'integer' || schema.type === 'number') {
          numeric++;
          for (const huge of ['1e400', '-1e400', '9223372036854775808', '123456789012345678901234567890']) {
            await expectRefused(route, JSON.stringify({ ...base, [name]: 0 }).replace(`"${name}":0`, `"${name}":${huge}`), 'number_out_of_range', `${name}=${huge}`);
          }
        }
        if (schema.type === 'string' && !schema.enum) {
          strings++;
          for (const lone of ['\\ud800', 'abc\\udfff', '\\udc00\\ud800']) {
            await expectRefused(route, JSON.stringify({ ...base, [name]: 'x' }).replace(`"${name}":"x"`, `"${name}":"${lone}"`), 'invalid_unicode', `${name}=${lone}`);
          }
        }
      }
      await expectRefused(route, `{"\\ud83d":1}`, 'invalid_unicode', 'lone surrogate key');
      await expectRefused(route, `{"nested":{"deeper":["ok","\\udead"]}}`, 'invalid_unicode', 'lone surrogate deep down');
    }
    // The walk did meet the fields it is about.
    expect(numeric).toBeGreaterThan(5);
    expect(strings).toBeGreaterThan(20);
    // A real pair is a character, and round-trips.
    const ok = await as(owner).post('/api/v1/tokens', { name: 'pair \ud83e\udd16', scopes: ['read'] });
    expect([ok.status, ok.body.name]).toEqual([201, 'pair 🤖']);
  });

  it('answers deep-but-allowed free-form objects with 4xx or success, never 500', async () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : { properties: { x: nest(levels - 1) }, type: 'object' });
    let objects = 0;
    for (const route of routes.filter((r) => r.body)) {
      for (const [name, schema] of Object.entries(fieldsOf(route.body!))) {
        if (schema.type !== 'object' || schema.properties) continue;
        objects++;
        // Just under the body limit once wrapped: each level of nest() is two JSON levels.
        const res = await send(route, JSON.stringify({ ...fullBody(route.body!), [name]: nest(Math.floor((MAX_JSON_DEPTH - 2) / 2)) }));
        expect({ route: `${route.method} ${route.path}`, name, status: res.status < 500 }).toEqual({ route: `${route.method} ${route.path}`, name, status: true });
      }
    }
    expect(objects).toBeGreaterThan(0);
    // An operator's output schema that deep is refused naming outputSchema (its own limit is 32 levels).
    const op = await as(owner).post('/api/v1/operators', { name: 'deep schema', outputFormat: 'json_schema', outputSchema: nest(20) });
    expect([op.status, op.body.code, op.body.errors?.[0]?.field]).toEqual([400, 'validation_failed', 'outputSchema']);
  });

  it('answers hostile query strings on every GET with 4xx problems or success, never 500', async () => {
    const queries = [
      'limit=1e400',
      'limit=-1e400',
      'limit=99999999999999999999',
      'limit=NaN',
      'cursor=%ED%A0%80',
      'cursor=%F0%9F',
      'status=%00',
      'accountId=%ED%B0%80',
      '__proto__=x',
      '__proto__[isAdmin]=true',
      'constructor[prototype][x]=1',
      'constructor.prototype.x=1',
      `status=${'running,'.repeat(500)}`,
      Array.from({ length: 300 }, () => 'kind=operator').join('&'),
      `since=${'9'.repeat(400)}`,
      'since=%uD800',
    ];
    const gets = routes.filter((r) => r.method === 'get' && !r.path.endsWith('/stream'));
    expect(gets.length).toBeGreaterThan(15);
    for (const route of gets) {
      for (const q of queries) {
        const res = await owner.agent.get(`${fill(route.path)}?${q}`);
        const seen = { route: route.path, q, serverError: res.status >= 500 };
        expect(seen).toEqual({ ...seen, serverError: false });
        if (res.status >= 400) {
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(typeof res.body.code).toBe('string');
        }
      }
    }
    const lone = await owner.agent.get('/api/v1/runs?operatorId=%ED%A0%80');
    expect(lone.status).toBe(400);
  });

  it('the codes are the documented ones and nothing reached the database', async () => {
    for (const code of ['json_too_deep', 'json_forbidden_key', 'invalid_unicode', 'number_out_of_range']) expect(HOSTILE_CODES.has(code)).toBe(true);
    const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM operators WHERE workspace_id = $1`, [ws.id]);
    expect(n).toBe(0);
  });

  describe('the gateway (/v1/*): the same hostile input, refused with OpenAI-shaped 4xx', () => {
    const posts = GATEWAY_ROUTES.filter((r) => r.method === 'POST').map((r) => r.path);
    const bodies: Record<string, Record<string, unknown>> = {
      '/v1/chat/completions': { model: 'mock-fast', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
      '/v1/responses': { model: 'mock-fast', input: 'x', max_output_tokens: 5 },
      '/v1/embeddings': { model: 'mock-embed', input: 'x', dimensions: 4 },
      '/v1/messages': { model: 'mock-fast', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
      '/v1/messages/count_tokens': { model: 'mock-fast', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 },
    };
    let token: string;
    beforeAll(async () => {
      token = (await inferenceToken(owner)).token;
    });

    async function expectOpenAIRefusal(path: string, rawBody: string, code: string, what: string, param?: string | null) {
      for (const auth of [{ authorization: `Bearer ${token}` }, {}] as Record<string, string>[]) {
        const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: rawBody });
        const body = (await res.json()) as { error?: { code: string; type: string; param: string | null; message: string } };
        const seen = { path, what, anonymous: !('authorization' in auth), status: res.status, code: body.error?.code };
        expect(seen).toEqual({ ...seen, status: 400, code });
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(body.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param: param === undefined ? expect.anything() : param, code });
      }
    }

    it('refuses deep nesting, prototype keys, huge numbers and lone surrogates, naming the parameter', async () => {
      for (const path of posts) {
        await expectOpenAIRefusal(path, deep(5_000, '[', ']'), 'json_too_deep', 'array nesting', null);
        await expectOpenAIRefusal(path, `{"model":"mock-fast","metadata":${deep(5_000, '{"a":', '}')}}`, 'json_too_deep', 'object nesting', null);
        const body = JSON.stringify(bodies[path]);
        await expectOpenAIRefusal(path, `${body.slice(0, -1)},"__proto__":{"isAdmin":true}}`, 'json_forbidden_key', '__proto__', '__proto__');
        await expectOpenAIRefusal(path, `{"x":{"y":{"constructor":{"prototype":{"polluted":1}}}}}`, 'json_forbidden_key', 'constructor.prototype', 'x.y.constructor');
        const numeric = Object.keys(bodies[path]!).find((k) => typeof bodies[path]![k] === 'number')!;
        for (const huge of ['1e400', '-1e400', '9223372036854775808']) {
          await expectOpenAIRefusal(path, body.replace(`"${numeric}":${bodies[path]![numeric]}`, `"${numeric}":${huge}`), 'number_out_of_range', `${numeric}=${huge}`, numeric);
        }
        await expectOpenAIRefusal(path, body.replace('"model":"', '"model":"\\ud800'), 'invalid_unicode', 'lone surrogate in model', 'model');
        await expectOpenAIRefusal(path, `{"\\ud83d":1}`, 'invalid_unicode', 'lone surrogate key', null);
        await expectOpenAIRefusal(path, `{"model":"mock-fast","nested":{"deeper":["ok","\\udead"]}}`, 'invalid_unicode', 'lone surrogate deep down', 'nested.deeper[1]');
      }
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('answers hostile query strings and paths with 4xx in OpenAI\'s shape or success, never 500', async () => {
      const queries = ['limit=1e400', 'after=%ED%A0%80', '__proto__[isAdmin]=true', 'constructor[prototype][x]=1', Array.from({ length: 300 }, () => 'a=b').join('&')];
      const paths = ['/v1/models', '/v1/models/mock-fast', '/v1/models/%ED%A0%80', '/v1/models/%00', `/v1/models/${'a'.repeat(5_000)}`, '/v1/models/..%2F..%2Fapi%2Fv1%2Ftokens'];
      for (const path of paths) {
        for (const q of queries) {
          const res = await fetch(`${api.url}${path}?${q}`, { headers: { authorization: `Bearer ${token}` } });
          const seen = { path, q, serverError: res.status >= 500 };
          expect(seen).toEqual({ ...seen, serverError: false });
          if (res.status >= 400) {
            const text = await res.text();
            expect([path, res.status, (JSON.parse(text) as { error?: { code?: unknown } }).error?.code]).toEqual([path, res.status, expect.any(String)]);
          }
        }
      }
    });

    it('nothing reached the database', async () => {
      const [{ n }] = await api.db.query(`SELECT count(*)::int AS n FROM runs WHERE workspace_id = $1 AND kind = 'gateway'`, [ws.id]);
      expect(n).toBe(0);
    });
  });
});
