// The Mission Copilot's reply contract, shared by the engine (which asks for it) and the mock provider (which
// can play the Copilot deterministically, so missions are testable and demonstrable without a key).
import type { ChatMessage } from './provider.js';

/** The structured-output name of a copilot request (the mock recognises copilot requests by it). */
export const COPILOT_SCHEMA_NAME = 'copilot_reply';

/**
 * What the Copilot answers: words, and optionally a plan. Strict (every property required, no extras) so
 * OpenAI's structured outputs can enforce it; the engine validates the plan's meaning separately.
 */
export const COPILOT_REPLY_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['reply', 'plan'],
  properties: {
    reply: { type: 'string', description: 'The answer to the user, in words.' },
    plan: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['title', 'failurePolicy', 'steps'],
          properties: {
            title: { type: 'string' },
            failurePolicy: { type: 'string', enum: ['stop', 'continue'] },
            steps: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['id', 'operator', 'input', 'dependsOn'],
                properties: {
                  id: { type: 'string', description: 'Short id, e.g. "research"' },
                  operator: { type: 'string', description: 'The name of one of the listed operators' },
                  input: { type: 'string', description: 'The operator input; {{steps.<id>.output}} inserts an earlier step’s output' },
                  dependsOn: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
      ],
    },
  },
};

export interface CopilotPlanDraft {
  title: string;
  failurePolicy: 'stop' | 'continue';
  steps: { id: string; operator: string; input: string; dependsOn: string[] }[];
}

export interface CopilotReply {
  reply: string;
  plan: CopilotPlanDraft | null;
}

/** An operator as the Copilot sees it. */
export interface CatalogOperator {
  name: string;
  description: string;
  output: 'text' | 'json';
}

const CATALOG = /<operators>\s*([\s\S]*?)\s*<\/operators>/;
/** A plan scripted in a message: a fenced ```plan block holding the plan's JSON. */
const SCRIPTED_PLAN = /```plan\s*([\s\S]*?)```/;

/** The operator catalog block of the Copilot's system prompt. */
export function operatorCatalogBlock(operators: readonly CatalogOperator[]): string {
  return `<operators>\n${JSON.stringify(operators, null, 1)}\n</operators>`;
}

/** Text outside ```plan blocks (a scripted plan's step inputs may carry mock directives meant for the steps). */
export function withoutScriptedPlans(text: string): string {
  return text.replace(new RegExp(SCRIPTED_PLAN.source, 'g'), '');
}

/**
 * The mock Copilot, deterministic for a given conversation:
 * - a message holding a ```plan block gets that plan back verbatim (how tests and demos script any plan,
 *   including invalid ones);
 * - a message that asks for a plan gets one over the listed operators: one step on the message; with two
 *   operators the second works on the first's output; with three or more, the second and third both work on the
 *   first's output, in parallel;
 * - anything else gets an answer in words that lists the operators.
 */
export function mockCopilotReply(messages: readonly ChatMessage[]): CopilotReply {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  let operators: CatalogOperator[] = [];
  try {
    const parsed: unknown = JSON.parse(CATALOG.exec(system)?.[1] ?? '[]');
    if (Array.isArray(parsed)) operators = parsed as CatalogOperator[];
  } catch {
    operators = [];
  }
  const scripted = SCRIPTED_PLAN.exec(last);
  if (scripted) {
    try {
      return { reply: 'Here is the plan you scripted.', plan: JSON.parse(scripted[1]!) as CopilotPlanDraft };
    } catch {
      return { reply: 'The scripted plan is not valid JSON, so there is no plan.', plan: null };
    }
  }
  const names = operators.map((o) => o.name);
  if (!/\bplan\b/i.test(last)) {
    return {
      reply: names.length
        ? `I can plan work with these operators: ${names.join(', ')}. Ask me for a plan and I will propose one.`
        : 'This workspace has no operators yet. Create one under Operators, then ask me for a plan.',
      plan: null,
    };
  }
  if (!names.length) return { reply: 'This workspace has no operators yet, so I cannot plan. Create one under Operators first.', plan: null };
  const task = last.replace(/\s+/g, ' ').trim();
  const steps: CopilotPlanDraft['steps'] = [{ id: 'step1', operator: names[0]!, input: task, dependsOn: [] }];
  if (names[1]) steps.push({ id: 'step2', operator: names[1], input: `Work on this:\n{{steps.step1.output}}`, dependsOn: ['step1'] });
  if (names[2]) steps.push({ id: 'step3', operator: names[2], input: `Work on this:\n{{steps.step1.output}}`, dependsOn: ['step1'] });
  return {
    reply: `Here is a plan in ${steps.length} step${steps.length > 1 ? 's' : ''} using ${steps.map((s) => s.operator).join(', ')}. Approve it to run it.`,
    plan: { title: task.length > 60 ? `${task.slice(0, 60)}…` : task, failurePolicy: 'stop', steps },
  };
}
