import { describe, expect, it } from '@jest/globals';
import { mockCopilotReply, operatorCatalogBlock } from '@vaultrun/providers';
import { boundHistory } from './copilot.js';
import { checkPlan, findCycle, referencesIn, substituteOutputs, topologicalOrder } from './plan.js';

const operators = [
  { id: 'op-1', name: 'Researcher' },
  { id: 'op-2', name: 'Writer' },
];
const step = (id: string, operator: string, input: string, dependsOn: string[] = []) => ({ id, operator, input, dependsOn });

describe('plans', () => {
  it('accepts a diamond, matching operators by id or by name ignoring case', () => {
    const check = checkPlan(
      { steps: [step('a', 'researcher', 'go'), step('b', 'op-2', '{{steps.a.output}}', ['a']), step('c', 'Writer', '{{ steps.a.output }}', ['a']), step('d', 'Writer', '{{steps.b.output}}{{steps.c.output}}', ['b', 'c'])] },
      operators,
    );
    expect(check.ok).toBe(true);
    expect(check.steps.map((s) => [s.id, s.operatorId, s.operatorName])).toEqual([
      ['a', 'op-1', 'Researcher'],
      ['b', 'op-2', 'Writer'],
      ['c', 'op-2', 'Writer'],
      ['d', 'op-2', 'Writer'],
    ]);
    expect(topologicalOrder(check.steps).map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('names every problem: unknown operator, duplicate id, missing input, dangling dependency and reference, undeclared reference, cycle', () => {
    const check = checkPlan(
      {
        steps: [
          step('a', 'Nobody', 'x'),
          step('a', 'Writer', ''),
          step('b', 'Writer', '{{steps.c.output}}', ['c']),
          step('c', 'Writer', '{{steps.b.output}}', ['b']),
          step('d', 'Writer', '{{steps.b.output}} {{steps.q.output}}', ['x']),
        ],
      },
      operators,
    );
    expect(check.ok).toBe(false);
    expect(!check.ok && check.errors).toEqual([
      'Step "a" names operator "Nobody", which is not an operator of this workspace.',
      'Two steps have the id "a".',
      'Step "a" has no input.',
      'Step "d" depends on step "x", which does not exist.',
      'Step "d" uses the output of step "b" but does not depend on it: add "b" to its dependsOn.',
      'Step "d" uses the output of step "q", which does not exist.',
      'The plan has a dependency cycle: b → c → b (each step depends on the next).',
    ]);
  });

  it('refuses an empty plan and a step that depends on itself', () => {
    expect(checkPlan({ steps: [] }, operators)).toMatchObject({ ok: false, errors: ['The plan has no steps.'] });
    expect(checkPlan({ steps: [step('a', 'Writer', 'x', ['a'])] }, operators)).toMatchObject({ ok: false, errors: ['Step "a" depends on itself.'] });
  });

  it('finds longer cycles and none in a DAG', () => {
    expect(findCycle([{ id: 'a', dependsOn: ['c'] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }])).toEqual(['a', 'c', 'b', 'a']);
    expect(findCycle([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a', 'b'] }])).toBeNull();
  });

  it('substitutes outputs, leaving unknown references as they are', () => {
    expect(referencesIn('{{steps.a.output}} and {{ steps.b.output }} and {{steps.a.output}}')).toEqual(['a', 'b']);
    expect(substituteOutputs('x={{steps.a.output}} y={{ steps.b.output }} z={{steps.c.output}}', new Map([['a', '1'], ['b', '$2']]))).toBe('x=1 y=$2 z={{steps.c.output}}');
  });
});

describe('copilot conversation', () => {
  it('keeps the newest turns that fit the token budget and says how many were dropped', () => {
    const turns = Array.from({ length: 10 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `turn ${i} ${'word '.repeat(50)}` }));
    const { kept, dropped } = boundHistory(turns, 200);
    expect(dropped).toBeGreaterThan(0);
    expect(kept.length + dropped).toBe(10);
    expect(kept[kept.length - 1]).toBe(turns[9]);
    expect(boundHistory(turns, 1_000_000)).toEqual({ kept: turns, dropped: 0 });
  });

  it('the mock Copilot is deterministic: a plan over the catalog, a scripted plan verbatim, words otherwise', () => {
    const system = { role: 'system' as const, content: `Operators:\n${operatorCatalogBlock([{ name: 'A', description: '', output: 'text' }, { name: 'B', description: '', output: 'json' }, { name: 'C', description: '', output: 'text' }])}` };
    const planned = mockCopilotReply([system, { role: 'user', content: 'Make a plan please' }]);
    expect(planned.plan?.steps.map((s) => [s.id, s.operator, s.dependsOn])).toEqual([
      ['step1', 'A', []],
      ['step2', 'B', ['step1']],
      ['step3', 'C', ['step1']],
    ]);
    expect(mockCopilotReply([system, { role: 'user', content: 'Make a plan please' }])).toEqual(planned);
    const script = { title: 't', failurePolicy: 'continue', steps: [step('x', 'A', 'hi')] };
    expect(mockCopilotReply([system, { role: 'user', content: `do it\n\`\`\`plan\n${JSON.stringify(script)}\n\`\`\`` }]).plan).toEqual(script);
    expect(mockCopilotReply([system, { role: 'user', content: 'hello' }])).toEqual({ reply: expect.stringContaining('A, B, C'), plan: null });
  });
});
