import type { Run } from '@vaultrun/db';
import { type ChatMessage, COPILOT_SCHEMA_NAME, type PromptRequest } from '@vaultrun/providers';

/** What a run sends: its instructions, the earlier turns of a copilot conversation, its input. */
export const messagesOf = (run: Pick<Run, 'instructions' | 'input'> & { history?: Run['history'] }): ChatMessage[] => [
  ...(run.instructions ? [{ role: 'system' as const, content: run.instructions }] : []),
  ...(run.history ?? []),
  { role: 'user', content: run.input },
];

/** A run's provider request without its parameters: what its budget hold must cover, and what the call sends. */
export type RunPromptRequest = PromptRequest & { messages: ChatMessage[]; jsonSchema: { name: string; schema: Record<string, unknown> } | null };

/** Everything a run's provider request sends besides its parameters — what its budget hold must cover. */
export const promptRequestOf = (run: Pick<Run, 'instructions' | 'input' | 'kind' | 'outputSchema'> & { history?: Run['history'] }): RunPromptRequest => ({
  messages: messagesOf(run),
  jsonSchema: run.outputSchema ? { name: run.kind === 'copilot' ? COPILOT_SCHEMA_NAME : 'output', schema: run.outputSchema } : null,
});
