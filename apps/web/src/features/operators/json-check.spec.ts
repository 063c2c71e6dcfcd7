import { describe, expect, it } from '@jest/globals';
import { checkJson } from './json-check.js';

const problem = (text: string) => {
  const check = checkJson(text);
  if (check.ok) throw new Error(`expected a problem in ${text}`);
  return `${check.problem.line}:${check.problem.column} ${check.problem.message}`;
};

describe('JSON check (Lezer positions, words by context)', () => {
  it('accepts JSON and returns the value', () => {
    expect(checkJson('{ "a": [1, 2] }')).toEqual({ ok: true, value: { a: [1, 2] } });
  });

  it('names the line, the column and the mistake', () => {
    expect(problem('{\n  "type": "object",\n  "properties": {\n    "summary": { "type": "string" }\n    "tags": { "type": "array" }\n  }\n}')).toBe(
      '5:5 Missing “,” between two properties',
    );
    expect(problem('[1 2]')).toBe('1:4 Missing “,” between two array items');
    expect(problem('{\n  "a": 1,\n}')).toBe('2:9 Trailing comma: remove the “,” before “}”');
    expect(problem('[1,]')).toBe('1:3 Trailing comma: remove the “,” before “]”');
    expect(problem('{"a" 1}')).toBe('1:6 Expected “:” after the property name');
    expect(problem("{'a': 1}")).toBe('1:2 Strings and property names must use double quotes (")');
    expect(problem('{"a": 1')).toBe('1:8 Unexpected end of the text: a “}”, “]” or “"” is missing');
    expect(problem('{} x')).toBe('1:4 Unexpected text after the end of the JSON value');
    expect(problem('')).toBe('1:1 The text is empty: expected a JSON value');
  });
});

describe('schema rules (the draft-07 meta-schema, as the API checks first)', () => {
  it('finds what the API would refuse, and where it is in the text', async () => {
    const { nodeAtPointer, schemaRuleProblems } = await import('./schema-rules.js');
    expect(schemaRuleProblems({ type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] })).toEqual([]);
    const text = '{ "type": "object", "properties": { "summary": { "type": "strnig" } } }';
    const [problem] = schemaRuleProblems(JSON.parse(text));
    expect(problem!.pointer).toBe('/properties/summary/type');
    expect(problem!.message).toMatch(/^“type”: it does not match any of/);
    const node = nodeAtPointer(text, problem!.pointer)!;
    expect(text.slice(node.from, node.to)).toBe('"strnig"');
    expect(schemaRuleProblems({ type: 'object', required: 'summary' })[0]).toMatchObject({ pointer: '/required' });
    const array = '[1, [2, 3]]';
    const item = nodeAtPointer(array, '/1/1')!;
    expect(array.slice(item.from, item.to)).toBe('3');
  });
});
