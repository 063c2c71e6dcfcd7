// What a copilot run sends: a system prompt with the mission's goal and the workspace's operators, the recent
// conversation (bounded by a token budget: the oldest turns are dropped, and the prompt says how many), and the
// new user message.
import { type CatalogOperator, countTokens, operatorCatalogBlock } from '@vaultrun/providers';

/** Tokens of earlier conversation sent with each copilot run (the newest turns that fit). */
export const COPILOT_HISTORY_TOKENS = 4_000;
/** The most a copilot answer (words and plan) may use. */
export const COPILOT_MAX_OUTPUT_TOKENS = 2_000;

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

/** The newest turns whose tokens fit `budget`, oldest first, and how many older turns were left out. */
export function boundHistory(turns: readonly Turn[], budget = COPILOT_HISTORY_TOKENS): { kept: Turn[]; dropped: number } {
  let used = 0;
  let start = turns.length;
  while (start > 0) {
    const cost = countTokens(turns[start - 1]!.content) + 4;
    if (used + cost > budget) break;
    used += cost;
    start--;
  }
  return { kept: turns.slice(start), dropped: start };
}

export function copilotInstructions(mission: { title: string; goal: string }, operators: readonly CatalogOperator[], dropped: number): string {
  return [
    'You are the Mission Copilot of Vaultrun. You help a team reach a goal with the operators (AI agents) of its workspace.',
    `Mission: ${mission.title}`,
    `Goal: ${mission.goal || '(not stated)'}`,
    'When the user asks for work to be done, answer with a short reply and a plan: steps, each naming one of the operators below by its exact name, ' +
      'its input, and the ids of the steps it depends on. A step may use an earlier step’s output by writing {{steps.<id>.output}} in its input, ' +
      'and must then list that step in dependsOn. Steps that do not depend on each other run in parallel. failurePolicy "stop" cancels the rest ' +
      'when a step fails; "continue" lets independent steps finish. Otherwise answer in words with plan null. Never invent operators.',
    'The operators:',
    operatorCatalogBlock(operators),
    ...(dropped > 0 ? [`(${dropped} earlier message${dropped > 1 ? 's' : ''} of this conversation were left out to keep the request small.)`] : []),
  ].join('\n');
}

/** An assistant turn as the Copilot will read it again: its words, and the plan it proposed as JSON. */
export function assistantTurnText(reply: string, plan: unknown): string {
  return plan ? `${reply}\n\nPlan proposed:\n${JSON.stringify(plan)}` : reply;
}
