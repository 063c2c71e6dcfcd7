// Checking a structured output against the JSON Schema it was requested with (SPEC §3: an invalid
// output fails the run with `invalid_output`). Providers in strict mode usually comply, but a
// truncated reply (finish reason "length"), a refusal, or an OpenAI-compatible server without
// structured-output support does not.
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ProviderError } from './errors.js';

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12/;
// Formats are not checked (no ajv-formats): the schema's structure is the contract.
const draft07 = new Ajv({ strict: false, validateFormats: false, allErrors: false });
const draft2020 = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });

const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 200;

function compile(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    const ajv = typeof schema.$schema === 'string' && DRAFT_2020.test(schema.$schema) ? draft2020 : draft07;
    // The schema's own $id would clash with itself on the second compile: validate a copy without it.
    const { $id: _id, ...anonymous } = schema;
    validate = ajv.compile(anonymous);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
  }
  return validate;
}

/** Why a JSON Schema cannot be used (a sentence for people), or null when it compiles. */
export function jsonSchemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'The JSON Schema must be an object';
  try {
    compile(schema as Record<string, unknown>);
    return null;
  } catch (err) {
    return `The JSON Schema is not valid: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export type StructuredOutputCheck = { valid: true; value: unknown } | { valid: false; error: ProviderError };

/**
 * Parses `text` as JSON and validates it against `schema`. Never throws for a bad output: the
 * result carries an `invalid_output` ProviderError, so the caller keeps the usage it must still
 * bill. Throws only when the schema itself cannot be compiled (check schemas with jsonSchemaProblem).
 */
export function validateStructuredOutput(text: string, schema: Record<string, unknown>): StructuredOutputCheck {
  const validate = compile(schema);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { valid: false, error: new ProviderError('invalid_output') };
  }
  return validate(value) ? { valid: true, value } : { valid: false, error: new ProviderError('invalid_output') };
}
