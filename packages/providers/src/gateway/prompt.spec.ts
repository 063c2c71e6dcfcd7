import { describe, expect, it } from '@jest/globals';
import { estimatePromptTokens } from '../tokens.js';
import { estimateGatewayPromptTokens, gatewayPromptOf, MEDIA_PART_TOKENS, requestedMaxOutputTokens } from './prompt.js';

describe('gateway prompts', () => {
  const chat = {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
    ],
    tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
  };

  it('reads chat messages (parts, tool calls, tool results), tools and media', () => {
    const p = gatewayPromptOf('chat.completions', chat);
    expect(p.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(p.messages[1]!.content).toBe('What is in this picture?');
    expect(p.messages[2]!.content).toContain('"name":"look"');
    expect([p.media, p.tools.length]).toEqual([1, 1]);
  });

  it('holds tools, formats and media on top of the messages; the mock is counted as it counts itself', () => {
    const withTools = estimateGatewayPromptTokens('openai', 'gpt-4o-mini', 'chat.completions', chat);
    const bare = estimateGatewayPromptTokens('openai', 'gpt-4o-mini', 'chat.completions', { ...chat, tools: undefined });
    expect(withTools.tokens).toBeGreaterThan(bare.tokens);
    expect(bare.tokens).toBeGreaterThanOrEqual(estimatePromptTokens(gatewayPromptOf('chat.completions', chat).messages) + MEDIA_PART_TOKENS);
    const mock = estimateGatewayPromptTokens('mock', 'mock-fast', 'chat.completions', chat);
    expect(mock).toEqual({ counting: 'mock', tokens: estimatePromptTokens(gatewayPromptOf('chat.completions', chat).messages) });
    // An unknown model gets the upper bound, never a guess.
    expect(estimateGatewayPromptTokens('openai-compatible', 'llama3.1', 'chat.completions', chat).counting).toBe('utf8_bound');
  });

  it('reads responses input (instructions, items) and a text.format schema', () => {
    const p = gatewayPromptOf('responses', {
      instructions: 'Be kind.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }, { type: 'function_call_output', call_id: 'x', output: '42' }],
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } },
    });
    expect(p.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
      { role: 'user', content: '42' },
    ]);
    expect(p.jsonSchema).toEqual({ name: 'answer', schema: { type: 'object' } });
  });

  it('counts embeddings inputs: texts, and token arrays by their length', () => {
    expect(estimateGatewayPromptTokens('mock', 'mock-embed', 'embeddings', { input: [[1, 2, 3], [4]] }).tokens).toBe(4);
    expect(estimateGatewayPromptTokens('openai', 'text-embedding-3-small', 'embeddings', { input: 'abc' })).toEqual({ counting: 'utf8_bound', tokens: 4 });
  });

  it('takes the client\'s output limit (× n for chat), or none', () => {
    expect(requestedMaxOutputTokens('chat.completions', { max_tokens: 100, n: 3 })).toBe(300);
    expect(requestedMaxOutputTokens('chat.completions', { max_completion_tokens: 50, max_tokens: 100 })).toBe(50);
    expect(requestedMaxOutputTokens('responses', { max_output_tokens: 64 })).toBe(64);
    expect(requestedMaxOutputTokens('responses', {})).toBeNull();
    expect(requestedMaxOutputTokens('embeddings', {})).toBe(0);
  });
});
