import { describe, expect, it } from '@jest/globals';
import type { Run } from '@vaultrun/db';
import { estimatePromptTokens } from '@vaultrun/providers';
import { messagesOf } from '@vaultrun/engine';
import { compareSides, estimateCheck, schemaValidity, toComparisonSide } from './comparison-sides.js';

const run = (patch: Partial<Run> = {}): Run =>
  ({
    id: '00000000-0000-4000-8000-000000000001',
    status: 'succeeded',
    statusReason: null,
    accountId: '00000000-0000-4000-8000-0000000000aa',
    model: 'mock-fast',
    instructions: 'Answer briefly.',
    input: 'Hello there',
    history: null,
    maxOutputTokens: 1000,
    outputSchema: null,
    output: 'Hi.',
    outputJson: null,
    inputTokens: 20,
    outputTokens: 3,
    cachedInputTokens: 0,
    providerLatencyMs: 12,
    costMicroUsd: '100',
    costLabel: 'estimated',
    estimateMicroUsd: '400',
    errorCode: null,
    errorMessage: null,
    ...patch,
  }) as Run;

describe('the estimate check', () => {
  it('compares the worst case held with what was charged', () => {
    const check = estimateCheck(run({ model: 'gpt-4.1-mini' }), 'openai');
    const estimated = estimatePromptTokens(messagesOf({ instructions: 'Answer briefly.', input: 'Hello there' }));
    expect(check).toEqual({
      promptTokensEstimated: estimated,
      promptTokensHeld: Math.ceil(estimated * 1.1) + 16,
      promptTokensReported: 20,
      maxOutputTokens: 1000,
      worstCaseMicroUsd: 400,
      chargedMicroUsd: 100,
      chargedLabel: 'estimated',
      differenceMicroUsd: -300,
      chargedShareOfWorstCase: 0.25,
    });
    expect(estimateCheck(run(), 'mock').promptTokensHeld).toBe(estimated);
    // Once the worker priced the call, the comparison shows what it held (calibrated), not a fresh guess.
    expect(estimateCheck(run({ model: 'gpt-4.1-mini', promptTokensHeld: 321 }), 'openai').promptTokensHeld).toBe(321);
    // A model whose tokenizer is unknown is estimated with the upper bound.
    expect(estimateCheck(run({ model: 'llama3.1' }), 'openai-compatible').promptTokensEstimated).toBeGreaterThan(estimated);
  });

  it('leaves unknown figures null, never 0', () => {
    const queued = estimateCheck(run({ status: 'queued', inputTokens: null, costMicroUsd: null, costLabel: null, estimateMicroUsd: null }), 'mock');
    expect(queued).toMatchObject({ worstCaseMicroUsd: null, chargedMicroUsd: null, chargedLabel: null, differenceMicroUsd: null, chargedShareOfWorstCase: null, promptTokensReported: null });
    const unavailable = estimateCheck(run({ costMicroUsd: '55', costLabel: 'unavailable' }), 'openai');
    expect(unavailable).toMatchObject({ chargedMicroUsd: null, chargedLabel: 'unavailable', differenceMicroUsd: null, chargedShareOfWorstCase: null });
    expect(estimateCheck(run({ estimateMicroUsd: '0', costMicroUsd: '0' }), 'mock')).toMatchObject({ differenceMicroUsd: 0, chargedShareOfWorstCase: null });
    expect(estimateCheck(run(), null).promptTokensHeld).toBeNull();
    // A share that does not divide evenly is rounded to 4 decimals.
    expect(estimateCheck(run({ costMicroUsd: '1', estimateMicroUsd: '3' }), 'mock').chargedShareOfWorstCase).toBe(0.3333);
  });
});

describe('schema validity', () => {
  const schema = { type: 'object' };
  it('is null for a text operator and while there is no verdict', () => {
    expect(schemaValidity(run())).toBeNull();
    expect(schemaValidity(run({ outputSchema: schema, status: 'running' }))).toBeNull();
    expect(schemaValidity(run({ outputSchema: schema, status: 'failed', errorCode: 'invalid_api_key' }))).toBeNull();
  });
  it('is true for a schema run that succeeded and false for invalid_output', () => {
    expect(schemaValidity(run({ outputSchema: schema, outputJson: { a: 1 } }))).toBe(true);
    expect(schemaValidity(run({ outputSchema: schema, status: 'failed', errorCode: 'invalid_output' }))).toBe(false);
  });
});

describe('the differences', () => {
  const side = (patch: Partial<Run>) => toComparisonSide({ run: run(patch), accountName: 'x', accountKind: 'mock' });

  it('subtracts mock from live, once both sides know', () => {
    const mock = side({ inputTokens: 20, outputTokens: 3, costMicroUsd: '100', providerLatencyMs: 10 });
    const live = side({ inputTokens: 25, outputTokens: 7, costMicroUsd: '80', providerLatencyMs: 350, output: 'Hello!' });
    expect(compareSides(mock, live)).toEqual({
      bothFinished: true,
      outputsEqual: false,
      schemaValidityEqual: null,
      inputTokensDelta: 5,
      outputTokensDelta: 4,
      costDeltaMicroUsd: -20,
      latencyDeltaMs: 340,
    });
    const waiting = side({ status: 'queued', output: null, inputTokens: null, costMicroUsd: null, costLabel: null, providerLatencyMs: null });
    expect(compareSides(mock, waiting)).toEqual({
      bothFinished: false,
      outputsEqual: null,
      schemaValidityEqual: null,
      inputTokensDelta: null,
      outputTokensDelta: null,
      costDeltaMicroUsd: null,
      latencyDeltaMs: null,
    });
  });

  it('compares JSON outputs as values and text after trimming', () => {
    const schema = { type: 'object' };
    const a = side({ outputSchema: schema, output: '{"a":1,"b":[1,2]}', outputJson: { a: 1, b: [1, 2] } });
    const b = side({ outputSchema: schema, output: '{ "b": [1, 2], "a": 1 }', outputJson: { b: [1, 2], a: 1 } });
    expect(compareSides(a, b)).toMatchObject({ outputsEqual: true, schemaValidityEqual: true });
    const invalid = side({ outputSchema: schema, status: 'failed', errorCode: 'invalid_output', output: '{"a":"1"}', outputJson: null });
    expect(compareSides(a, invalid)).toMatchObject({ outputsEqual: false, schemaValidityEqual: false });
    expect(compareSides(side({ output: 'Same \n' }), side({ output: ' Same' })).outputsEqual).toBe(true);
  });
});
