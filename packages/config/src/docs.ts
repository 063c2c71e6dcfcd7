import type { z } from 'zod';
import { type ConfigReader, VARIABLE_NAMES, VARIABLES, type VariableName, type VariableSpec } from './variables.js';

/** One variable, as `.env.example` and docs/operations.md describe it. */
export interface VariableDoc {
  name: VariableName;
  description: string;
  /** As it is written in `.env` (undefined: none — the variable is optional, or required with no default). */
  default: string | undefined;
  readBy: readonly ConfigReader[];
  secret: boolean;
  example: string | undefined;
  firstStartOnly: boolean;
}

/** What the schema answers for an unset variable, written as it would be set. */
function defaultOf(schema: z.ZodType): string | undefined {
  const parsed = schema.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
}

/** Every variable, in the schema's order. */
export const VARIABLE_DOCS: readonly VariableDoc[] = VARIABLE_NAMES.map((name) => {
  const spec: VariableSpec = VARIABLES[name];
  return {
    name,
    description: spec.description,
    default: defaultOf(spec.schema),
    readBy: spec.readBy,
    secret: spec.secret === true,
    example: spec.example,
    firstStartOnly: spec.firstStartOnly === true,
  };
});
