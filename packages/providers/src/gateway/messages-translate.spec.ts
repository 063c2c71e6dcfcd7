import { describe, expect, it } from '@jest/globals';
import { chatBodyOfMessages, messageOfChat } from './messages-translate.js';
import { chatUsageOf } from './usage.js';

describe('Anthropic Messages → OpenAI chat', () => {
  it('maps system blocks, tool results before the user\'s text, images, tools and tool_choice', () => {
    const chat = chatBodyOfMessages(
      {
        model: 'gpt-4o-mini',
        max_tokens: 50,
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Also this:' },
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'failed' }], is_error: true },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            ],
          },
        ],
        tools: [{ name: 'weather', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'weather', disable_parallel_tool_use: true },
        stop_sequences: ['END'],
        metadata: { user_id: 'u1' },
        stream: true,
      },
      'openai',
    );
    expect(chat).toEqual({
      model: 'gpt-4o-mini',
      max_completion_tokens: 50,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'Error: failed' },
        { role: 'user', content: [{ type: 'text', text: 'Also this:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      stop: ['END'],
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
    // Compatible servers and the mock get max_tokens (what they all know).
    expect(chatBodyOfMessages({ model: 'm', max_tokens: 5, messages: [] }, 'openai-compatible').max_tokens).toBe(5);
  });
});

describe('OpenAI chat → Anthropic Message', () => {
  it('maps content, tool calls, stop reasons and usage (cache reads and writes out of input_tokens)', () => {
    const usage = chatUsageOf({ prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 30 }, cache_creation_input_tokens: 20 });
    expect(usage).toEqual({ inputTokens: 100, outputTokens: 7, cachedInputTokens: 30, cacheWriteInputTokens: 20 });
    const message = messageOfChat(
      {
        id: 'chatcmpl-abc',
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ message: { content: 'Sure.', tool_calls: [{ id: 'call_1', function: { name: 'weather', arguments: '{"city":' } }] }, finish_reason: 'tool_calls' }],
      },
      'gpt-4o-mini',
      usage,
    );
    expect(message).toEqual({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini-2024-07-18',
      content: [
        { type: 'text', text: 'Sure.' },
        // Arguments that are not JSON are kept as text, never dropped.
        { type: 'tool_use', id: 'call_1', name: 'weather', input: { raw: '{"city":' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 7, cache_read_input_tokens: 30, cache_creation_input_tokens: 20 },
    });
    expect(messageOfChat({ choices: [{ message: { content: 'x' }, finish_reason: 'length' }] }, 'm', null).stop_reason).toBe('max_tokens');
    expect(messageOfChat({ choices: [{ message: { content: '' }, finish_reason: 'content_filter' }] }, 'm', null).stop_reason).toBe('refusal');
  });
});
