// Presets of the `openai-compatible` kind: the hosts teams ask for first, each with its known base URL, key shape,
// structured-output mode and price list. A preset is a starting point for the console and the API (it fills in the
// base URL); what a call does is decided by where it goes: `presetOfBaseUrl` recognises a hosted preset by the origin
// the key is bound to, so its behaviour and prices follow the host actually called — never a label that could
// disagree with it. Self-hosted presets (Ollama, vLLM) have no fixed origin and behave like any compatible server.

export const OPENAI_COMPATIBLE_PRESET_IDS = ['openrouter', 'groq', 'together', 'mistral', 'deepseek', 'ollama', 'vllm'] as const;
export type OpenAiCompatiblePresetId = (typeof OPENAI_COMPATIBLE_PRESET_IDS)[number];

export interface OpenAiCompatiblePreset {
  id: OpenAiCompatiblePresetId;
  name: string;
  /** The base URL an account made from the preset gets when none is given (self-hosted: the usual local address). */
  baseUrl: string;
  /** Origins that identify the hosted service (none for self-hosted servers). */
  origins: readonly string[];
  /** A hosted service refuses calls without a key; a local server usually needs none. */
  keyRequired: boolean;
  /** The prefix its keys start with, when they have one (used to tell a pasted key of another provider apart). */
  keyPrefix: string | null;
  /** Where people create a key. */
  keysUrl: string | null;
  /** The service reports each call's cost in `usage.cost` (USD): such costs are "Verified by Provider". */
  reportsCost: boolean;
  /**
   * How a JSON Schema output is asked for: `json_schema` (OpenAI's strict response_format) or `json_object` (JSON mode,
   * with the schema given in a system message — for servers that refuse json_schema).
   */
  structuredOutput: 'json_schema' | 'json_object';
  /** Runs on the team's own hardware: calls cost no provider money (prices are the team's to set as overrides). */
  selfHosted: boolean;
  /** Chat models to prefer as the default, in order, when the list has them. */
  suggestedModels: readonly string[];
}

export const OPENAI_COMPATIBLE_PRESETS: readonly OpenAiCompatiblePreset[] = [
  {
    id: 'openrouter',
    name: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    origins: ['https://openrouter.ai'],
    keyRequired: true,
    keyPrefix: 'sk-or-',
    keysUrl: 'https://openrouter.ai/settings/keys',
    reportsCost: true,
    structuredOutput: 'json_schema',
    selfHosted: false,
    suggestedModels: ['openai/gpt-4.1-mini', 'openai/gpt-4o-mini', 'anthropic/claude-haiku-4.5', 'google/gemini-2.5-flash'],
  },
  {
    id: 'groq',
    name: 'Groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    origins: ['https://api.groq.com'],
    keyRequired: true,
    keyPrefix: 'gsk_',
    keysUrl: 'https://console.groq.com/keys',
    reportsCost: false,
    structuredOutput: 'json_schema',
    selfHosted: false,
    suggestedModels: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant'],
  },
  {
    id: 'together',
    name: 'Together AI',
    baseUrl: 'https://api.together.xyz/v1',
    origins: ['https://api.together.xyz', 'https://api.together.ai'],
    keyRequired: true,
    keyPrefix: null,
    keysUrl: 'https://api.together.ai/settings/api-keys',
    reportsCost: false,
    structuredOutput: 'json_schema',
    selfHosted: false,
    suggestedModels: ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'Qwen/Qwen2.5-72B-Instruct-Turbo'],
  },
  {
    id: 'mistral',
    name: 'Mistral AI',
    baseUrl: 'https://api.mistral.ai/v1',
    origins: ['https://api.mistral.ai'],
    keyRequired: true,
    keyPrefix: null,
    keysUrl: 'https://console.mistral.ai/api-keys',
    reportsCost: false,
    structuredOutput: 'json_schema',
    selfHosted: false,
    suggestedModels: ['mistral-small-latest', 'mistral-medium-latest'],
  },
  {
    id: 'deepseek',
    name: 'DeepSeek',
    baseUrl: 'https://api.deepseek.com/v1',
    origins: ['https://api.deepseek.com'],
    keyRequired: true,
    keyPrefix: 'sk-',
    keysUrl: 'https://platform.deepseek.com/api_keys',
    reportsCost: false,
    // DeepSeek answers `json_schema` with 400; its JSON mode wants the word "json" in the prompt.
    structuredOutput: 'json_object',
    selfHosted: false,
    suggestedModels: ['deepseek-chat'],
  },
  {
    id: 'ollama',
    name: 'Ollama',
    baseUrl: 'http://localhost:11434/v1',
    origins: [],
    keyRequired: false,
    keyPrefix: null,
    keysUrl: null,
    reportsCost: false,
    structuredOutput: 'json_schema',
    selfHosted: true,
    suggestedModels: ['llama3.2', 'llama3.1', 'qwen2.5'],
  },
  {
    id: 'vllm',
    name: 'vLLM',
    baseUrl: 'http://localhost:8000/v1',
    origins: [],
    keyRequired: false,
    keyPrefix: null,
    keysUrl: null,
    reportsCost: false,
    structuredOutput: 'json_schema',
    selfHosted: true,
    suggestedModels: [],
  },
];

export function openAiCompatiblePreset(id: string): OpenAiCompatiblePreset | null {
  return OPENAI_COMPATIBLE_PRESETS.find((p) => p.id === id) ?? null;
}

/** The hosted preset a base URL calls (by its origin), or null for any other server, self-hosted ones included. */
export function presetOfBaseUrl(baseUrl: string | null | undefined): OpenAiCompatiblePreset | null {
  if (!baseUrl) return null;
  let origin: string;
  try {
    origin = new URL(baseUrl.trim()).origin;
  } catch {
    // An unusable base URL calls no preset (saving one is refused elsewhere).
    return null;
  }
  return OPENAI_COMPATIBLE_PRESETS.find((p) => p.origins.includes(origin)) ?? null;
}

/** The hosted preset an account of this kind and base URL calls (only `openai-compatible` accounts have one). */
export function presetOfAccount(kind: string, baseUrl: string | null | undefined): OpenAiCompatiblePreset | null {
  return kind === 'openai-compatible' ? presetOfBaseUrl(baseUrl) : null;
}

/**
 * The system message that asks a JSON-mode server (`structuredOutput: 'json_object'`) for the schema. Kept short on
 * purpose: the budget estimate counts the OpenAI response_format wrapper around the schema, and this text plus its
 * message must not be longer (tokens.spec.ts checks it).
 */
export function jsonModeInstruction(schema: Record<string, unknown>): string {
  return `Reply in JSON valid for: ${JSON.stringify(schema)}`;
}
