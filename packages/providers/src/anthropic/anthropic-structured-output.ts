// Structured output on Anthropic through a tool: the schema becomes the input schema of one tool the model must call
// (tool_choice `tool`), and the call's input is the answer. Works on every Claude model. A tool's input must be an
// object, so a schema whose root is anything else (an array, a string, …) is wrapped in `{ value: … }` and unwrapped
// from the answer. The budget estimate counts this same tool (tokens.ts), plus the system prompt Anthropic adds for
// tool use (ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS).
import { responseFormatName } from '../tokens.js';

export interface AnthropicOutputTool {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

export const ANTHROPIC_OUTPUT_TOOL_DESCRIPTION = 'Give your whole answer by calling this tool once; its input is the answer.';

/**
 * The most tokens Anthropic's own system prompt for tool use adds (its pricing page lists 159–530 per model and
 * tool_choice; 313–346 for the Claude 4 family with a forced tool), rounded up with room for newer models.
 */
export const ANTHROPIC_TOOL_USE_SYSTEM_PROMPT_TOKENS = 600;

/** Whether the schema has to be wrapped: a tool input is always an object. */
export function wrapsOutputSchema(schema: Record<string, unknown>): boolean {
  return schema.type !== 'object';
}

/** The tool a structured-output request sends. */
export function anthropicOutputToolOf(jsonSchema: { name: string; schema: Record<string, unknown> }): AnthropicOutputTool {
  const name = responseFormatName(jsonSchema.name);
  const { schema } = jsonSchema;
  if (!wrapsOutputSchema(schema)) return { name, description: ANTHROPIC_OUTPUT_TOOL_DESCRIPTION, input_schema: { ...schema, type: 'object' } };
  // Local references (#/$defs/…, #/definitions/…) resolve against the root: the definitions move up with them.
  const { $defs, definitions, $schema, ...value } = schema;
  return {
    name,
    description: ANTHROPIC_OUTPUT_TOOL_DESCRIPTION,
    input_schema: {
      type: 'object',
      ...($schema !== undefined ? { $schema } : {}),
      properties: { value },
      required: ['value'],
      additionalProperties: false,
      ...($defs !== undefined ? { $defs } : {}),
      ...(definitions !== undefined ? { definitions } : {}),
    },
  };
}

/** The answer inside a tool call's input, as JSON text (unwrapped when the schema was wrapped). */
export function outputFromToolInput(schema: Record<string, unknown>, input: unknown): string {
  if (!wrapsOutputSchema(schema)) return JSON.stringify(input ?? null);
  const value = typeof input === 'object' && input !== null ? (input as { value?: unknown }).value : undefined;
  return value === undefined ? '' : JSON.stringify(value);
}
