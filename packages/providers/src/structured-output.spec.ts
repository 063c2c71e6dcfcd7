import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { compiledSchemaCount, compileOutputSchema, jsonDepth, jsonSchemaProblem, MAX_COMPILED_SCHEMAS, OUTPUT_SCHEMA_LIMITS, validateStructuredOutput } from './structured-output.js';

const schema = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['answer', 'confidence'],
  additionalProperties: false,
};

describe('validateStructuredOutput', () => {
  it('accepts matching JSON and returns the parsed value', () => {
    expect(validateStructuredOutput('{"answer":"yes","confidence":0.9}', schema)).toEqual({ valid: true, value: { answer: 'yes', confidence: 0.9 } });
  });

  it.each([
    ['not JSON', 'Sure! Here is the JSON: {'],
    ['truncated', '{"answer":"yes","confid'],
    ['missing property', '{"answer":"yes"}'],
    ['wrong type', '{"answer":1,"confidence":0.5}'],
    ['out of range', '{"answer":"yes","confidence":2}'],
    ['extra property', '{"answer":"yes","confidence":0.5,"x":1}'],
  ])('flags %s as invalid_output without throwing', (_label, text) => {
    const check = validateStructuredOutput(text, schema);
    expect(check.valid).toBe(false);
    if (!check.valid) expect(check.error).toMatchObject({ code: 'invalid_output', message: 'Output did not match the schema', retryable: false });
  });

  it('handles a schema with an $id more than once', () => {
    const withId = { ...schema, $id: 'https://example.com/answer.json' };
    expect(validateStructuredOutput('{"answer":"a","confidence":0}', withId).valid).toBe(true);
    expect(validateStructuredOutput('{"answer":"a","confidence":0}', withId).valid).toBe(true);
  });
});

describe('jsonSchemaProblem', () => {
  it('is null for a usable schema and a sentence otherwise', () => {
    expect(jsonSchemaProblem(schema)).toBeNull();
    expect(jsonSchemaProblem({ type: 'nonsense' })).toMatch(/^The JSON Schema is not valid/);
    expect(jsonSchemaProblem([])).toBe('The JSON Schema must be an object');
    expect(jsonSchemaProblem(null)).toBe('The JSON Schema must be an object');
  });
});

describe('hostile schemas', () => {
  it('runs a catastrophic-backtracking pattern in linear time (it finishes, and answers correctly)', () => {
    // With the built-in backtracking engine this input takes about 2^32 steps: the test would never end.
    const evil = { type: 'string', pattern: '^(a+)+$' };
    expect(jsonSchemaProblem(evil)).toBeNull();
    expect(validateStructuredOutput(JSON.stringify(`${'a'.repeat(32)}!`), evil).valid).toBe(false);
    expect(validateStructuredOutput(JSON.stringify('a'.repeat(10_000)), evil).valid).toBe(true);
    const nested = { type: 'object', patternProperties: { '^(x|x)*y$': { type: 'integer' } } };
    expect(validateStructuredOutput(JSON.stringify({ [`${'x'.repeat(40)}y`]: 1 }), nested).valid).toBe(true);
    expect(validateStructuredOutput(JSON.stringify({ [`${'x'.repeat(40)}y`]: 'one' }), nested).valid).toBe(false);
  });

  it('keeps ECMAScript pattern semantics that RE2 shares (unanchored search, classes, unicode)', () => {
    const s = { type: 'string', pattern: '\\d{3}-[A-Z]{2}' };
    expect(validateStructuredOutput('"ref 123-AB here"', s).valid).toBe(true);
    expect(validateStructuredOutput('"ref 12-AB"', s).valid).toBe(false);
    expect(validateStructuredOutput('"é"', { type: 'string', pattern: '^.$' }).valid).toBe(true);
  });

  it('refuses patterns the linear-time engine cannot run, saying why', () => {
    expect(jsonSchemaProblem({ type: 'string', pattern: '^(?=a)a$' })).toMatch(/pattern "\^\(\?=a\)a\$" cannot be used .*linear-time engine \(RE2\)/);
    expect(jsonSchemaProblem({ type: 'string', pattern: '(a)\\1' })).toMatch(/cannot be used/);
    // A schema stored before the rule fails its runs cleanly (not retryable), it never throws.
    const check = validateStructuredOutput('"aa"', { type: 'string', pattern: '(a)\\1' });
    expect(check.valid).toBe(false);
    if (!check.valid) expect(check.error).toMatchObject({ code: 'invalid_output', retryable: false });
  });

  it('caps the nesting and the size of a schema', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { x: deep } };
    expect(jsonSchemaProblem(deep)).toBe(`The JSON Schema nests deeper than ${OUTPUT_SCHEMA_LIMITS.maxDepth} levels`);
    const big = { type: 'string', enum: Array.from({ length: 10_000 }, (_, i) => `value-${i}`) };
    expect(jsonSchemaProblem(big)).toMatch(/^The JSON Schema is larger than 64 KiB/);
    expect(jsonDepth({ a: [{ b: 1 }] })).toBe(3);
    expect(jsonDepth('x')).toBe(0);
  });

  it('holds a bounded number of compiled schemas, and an evicted one is really gone', async () => {
    const withId = (i: number) => ({ $id: `https://example.test/s-${i}.json`, type: 'object', properties: { [`p${i}`]: { type: 'integer' } }, required: [`p${i}`] });
    const firstCompiled = new WeakRef(compileOutputSchema(withId(0)));
    for (let i = 1; i < 3_000; i++) {
      expect(validateStructuredOutput(JSON.stringify({ [`p${i}`]: i }), withId(i)).valid).toBe(true);
      expect(compiledSchemaCount()).toBeLessThanOrEqual(MAX_COMPILED_SCHEMAS);
    }
    expect(compiledSchemaCount()).toBe(MAX_COMPILED_SCHEMAS);
    // Nothing keeps an evicted validator alive (a shared Ajv instance would: it caches everything it compiled).
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(firstCompiled.deref()).toBeUndefined();
    // Compiled again after eviction: a validator that still remembered it would refuse the $id as a duplicate.
    expect(validateStructuredOutput('{"p0":0}', withId(0)).valid).toBe(true);
    // Two different schemas with one $id (say, from two workspaces) never see each other.
    const a = { $id: 'https://example.test/shared.json', type: 'string' };
    const b = { $id: 'https://example.test/shared.json', type: 'integer' };
    expect([validateStructuredOutput('"x"', a).valid, validateStructuredOutput('"x"', b).valid]).toEqual([true, false]);
  });
});

/** A full garbage collection, so a WeakRef to something unreachable is cleared. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
