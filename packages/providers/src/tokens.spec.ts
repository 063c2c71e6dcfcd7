import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countR50k } from 'gpt-tokenizer/encoding/r50k_base';
import {
  countTokens,
  estimatePromptTokens,
  estimateRequestPromptTokens,
  promptCountingFor,
  RESPONSE_FORMAT_FRAMING_TOKENS,
  responseFormatOf,
  TOOLS_FRAMING_TOKENS,
  truncateToTokens,
  UNKNOWN_TEMPLATE_TOKENS_PER_MESSAGE,
  utf8TokenBound,
} from './tokens.js';
import { ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS, anthropicOutputToolOf } from './anthropic/anthropic-structured-output.js';
import { jsonModeInstruction } from './openai-compatible/presets.js';

describe('truncateToTokens', () => {
  it('never leaves more tokens than allowed, and keeps text that already fits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.lorem({ maxCount: 60 })), fc.integer({ min: 0, max: 80 }), (text, max) => {
        const { text: cut, truncated } = truncateToTokens(text, max);
        expect(countTokens(cut)).toBeLessThanOrEqual(max);
        expect(truncated).toBe(countTokens(text) > max);
        if (!truncated) expect(cut).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('estimateRequestPromptTokens (what a budget holds for the prompt)', () => {
  const messages = [
    { role: 'system' as const, content: 'You score sales leads.' },
    { role: 'user' as const, content: 'ACME Corp, 40 seats, wants a demo next week.' },
  ];
  const schema = { type: 'object', additionalProperties: false, required: ['score', 'why'], properties: { score: { type: 'integer' }, why: { type: 'string' } } };

  it('knows which models it can count exactly and bounds the rest', () => {
    expect(promptCountingFor('mock', 'mock-fast')).toBe('mock');
    for (const m of ['gpt-4o-mini', 'gpt-4.1-mini-2025-04-14', 'gpt-5', 'gpt-5.1', 'o3', 'o4-mini', 'o1-preview', 'ft:gpt-4o-mini-2024-07-18:acme::abc', 'openai/gpt-4o', 'chatgpt-4o-latest']) {
      expect([m, promptCountingFor('openai', m)]).toEqual([m, 'o200k_base']);
    }
    for (const m of ['gpt-3.5-turbo', 'gpt-4', 'gpt-4-turbo', 'llama3.1', 'mistral-large', 'qwen2.5:7b', 'deepseek-chat', 'o10', 'my-deployment']) {
      expect([m, promptCountingFor('openai-compatible', m)]).toEqual([m, 'utf8_bound']);
    }
  });

  it('counts the JSON schema exactly as sent in response_format, and tools', () => {
    const plain = estimateRequestPromptTokens('openai', 'gpt-4o-mini', { messages });
    expect(plain).toEqual({ counting: 'o200k_base', tokens: estimatePromptTokens(messages) });
    const sent = JSON.stringify({ type: 'json_schema', json_schema: { name: 'Lead_score', schema, strict: true } });
    expect(JSON.stringify(responseFormatOf({ name: 'Lead score!', schema }))).toBe(sent);
    const structured = estimateRequestPromptTokens('openai', 'gpt-4o-mini', { messages, jsonSchema: { name: 'Lead score!', schema } });
    expect(structured.tokens).toBe(plain.tokens + countTokens(sent) + RESPONSE_FORMAT_FRAMING_TOKENS);
    const tools = [{ type: 'function', function: { name: 'lookup_company', description: 'Find a company', parameters: { type: 'object', properties: { name: { type: 'string' } } } } }];
    const withTools = estimateRequestPromptTokens('openai', 'gpt-4o-mini', { messages, tools });
    expect(withTools.tokens).toBe(plain.tokens + countTokens(JSON.stringify(tools)) + TOOLS_FRAMING_TOKENS);
    // Unknown tokenizer: every part is bounded too.
    const bound = estimateRequestPromptTokens('openai-compatible', 'llama3.1', { messages });
    const boundStructured = estimateRequestPromptTokens('openai-compatible', 'llama3.1', { messages, jsonSchema: { name: 'Lead score!', schema }, tools });
    expect(boundStructured.tokens).toBe(bound.tokens + utf8TokenBound(sent) + utf8TokenBound(JSON.stringify(tools)));
    // The mock holds exactly what it counts.
    expect(estimateRequestPromptTokens('mock', 'mock-fast', { messages, jsonSchema: { name: 'x', schema } }).tokens).toBe(estimatePromptTokens(messages));
  });

  it('the unknown-tokenizer bound is never below what a byte-level tokenizer counts (o200k, cl100k, GPT-2)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(' ', '\n', '\t', '.', 'ﷺ', 'ﬁ', '㎏', '😀', 'é', '中', '!', '0'), maxLength: 100 }),
      fc.lorem({ maxCount: 40 }),
    );
    const tokenizers = [countTokens, (t: string) => countCl100k(t, { disallowedSpecial: new Set<string>() }), (t: string) => countR50k(t, { disallowedSpecial: new Set<string>() })];
    fc.assert(
      fc.property(text, (t) => {
        const bound = utf8TokenBound(t);
        for (const count of tokenizers) expect(bound).toBeGreaterThanOrEqual(count(t));
        // …and on a NFKC-normalising tokenizer's input.
        expect(bound).toBeGreaterThanOrEqual(countTokens(t.normalize('NFKC')));
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.array(fc.record({ role: fc.constantFrom('system' as const, 'user' as const, 'assistant' as const), content: text }), { maxLength: 6 }), (msgs) => {
        // Whole requests: the bound covers an OpenAI-style count (framing included) of the same messages.
        expect(estimateRequestPromptTokens('openai-compatible', 'llama3.1', { messages: msgs }).tokens).toBeGreaterThanOrEqual(estimatePromptTokens(msgs));
      }),
      { numRuns: 200 },
    );
  });
});

describe('estimates of the other kinds', () => {
  const schema = { type: 'object', properties: { answer: { type: 'string' }, score: { type: 'integer' } }, required: ['answer', 'score'], additionalProperties: false };
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Score this lead: ACME, 40 seats' },
  ];

  it('counts Anthropic and Gemini models with the upper bound', () => {
    expect(promptCountingFor('anthropic', 'claude-sonnet-4-5')).toBe('utf8_bound');
    expect(promptCountingFor('gemini', 'gemini-2.5-flash')).toBe('utf8_bound');
    // Azure deployments named after an OpenAI model count with o200k, like OpenAI.
    expect(promptCountingFor('azure-openai', 'gpt-4o-mini')).toBe('o200k_base');
  });

  it("counts Anthropic's structured-output tool as sent, plus the system prompt Anthropic adds for tool use", () => {
    const plain = estimateRequestPromptTokens('anthropic', 'claude-sonnet-4-5', { messages }).tokens;
    const structured = estimateRequestPromptTokens('anthropic', 'claude-sonnet-4-5', { messages, jsonSchema: { name: 'lead', schema } }).tokens;
    const tool = anthropicOutputToolOf({ name: 'lead', schema });
    const sent = JSON.stringify({ tools: [tool], tool_choice: { type: 'tool', name: tool.name } });
    expect(structured - plain).toBe(utf8TokenBound(sent) + ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS);
  });

  it("holds a JSON-mode server's schema message within what the estimate counts for the schema", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 80 }), (value, name) => {
        const s = { type: 'object', properties: { v: { const: value } } };
        const counted = utf8TokenBound(JSON.stringify(responseFormatOf({ name, schema: s })));
        // What DeepSeek is sent instead: one more system message (framing, role, text) and a json_object format.
        const sent = UNKNOWN_TEMPLATE_TOKENS_PER_MESSAGE + utf8TokenBound('system') + utf8TokenBound(jsonModeInstruction(s)) + utf8TokenBound(JSON.stringify({ type: 'json_object' }));
        expect(counted).toBeGreaterThanOrEqual(sent);
      }),
      { numRuns: 200 },
    );
  });
});
