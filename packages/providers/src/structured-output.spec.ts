import { describe, expect, it } from '@jest/globals';
import { jsonSchemaProblem, validateStructuredOutput } from './structured-output.js';

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
