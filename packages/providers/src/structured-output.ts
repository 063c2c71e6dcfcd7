// Checking a structured output against the JSON Schema it was requested with (SPEC §3: an invalid
// output fails the run with `invalid_output`). Providers in strict mode usually comply, but a
// truncated reply (finish reason "length"), a refusal, or an OpenAI-compatible server without
// structured-output support does not.
//
// The schema comes from a workspace user, so it is hostile until proven otherwise:
// - its size and nesting are capped (OUTPUT_SCHEMA_LIMITS), checked where it is accepted;
// - every `pattern` / `patternProperties` regex runs on RE2 (re2js, pure JavaScript, linear time), so a
//   catastrophic-backtracking pattern like `^(a+)+$` cannot stall a worker; a pattern RE2 cannot compile
//   (lookaround, backreferences) makes the schema unusable, with a sentence saying why;
// - each schema is compiled by an Ajv instance of its own, kept in a bounded LRU: evicting an entry drops the
//   instance and everything it compiled (Ajv caches every schema it compiled internally, so a shared instance
//   would grow without bound), and one workspace's `$id`s can never resolve in another's schema.
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';
import { ProviderError } from './errors.js';

/** What an output schema may weigh: its JSON text in bytes, and how deeply its objects and arrays nest. */
export const OUTPUT_SCHEMA_LIMITS = { maxBytes: 64 * 1024, maxDepth: 32 } as const;

/** Compiled schemas kept in memory (per process). */
export const MAX_COMPILED_SCHEMAS = 200;

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12/;

class UnusablePattern extends Error {}

/** JSON Schema `pattern`s (ECMAScript syntax) on RE2: no backtracking, so matching is linear in the input. */
const linearTimeRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(pattern);
    } catch (err) {
      throw new UnusablePattern(
        `the pattern ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)} cannot be used (${err instanceof Error ? err.message : String(err)}): patterns run on a linear-time engine (RE2), without lookaround or backreferences`,
      );
    }
    // Ajv shares compiled patterns by their string form: it must differ per pattern.
    return { test: (s: string) => re.test(s), toString: () => `re2:${pattern}` };
  },
  { code: 're2js' },
);

// Formats are not checked (no ajv-formats): the schema's structure is the contract.
const AJV_OPTIONS: Options = { strict: false, validateFormats: false, allErrors: false, code: { regExp: linearTimeRegExp } };
// Schemas are checked against the draft's meta-schema by one shared instance per draft (validateSchema caches only
// the meta-schema), so each schema's own instance skips that step and its meta-schemas: ~1 ms instead of ~8.
const metaValidators = { draft07: new Ajv({ strict: false }), draft2020: new Ajv2020({ strict: false }) };
const COMPILE_OPTIONS: Options = { ...AJV_OPTIONS, validateSchema: false, meta: false };

/** Least recently used last: a Map keeps insertion order, and a hit is moved to the end. */
const compiled = new Map<string, ValidateFunction>();

/** The validator of a schema (compiled once, then kept in a bounded LRU); throws when the schema cannot be used. */
export function compileOutputSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  const draft2020 = typeof schema.$schema === 'string' && DRAFT_2020.test(schema.$schema);
  const meta = draft2020 ? metaValidators.draft2020 : metaValidators.draft07;
  if (!meta.validateSchema(schema)) throw new Error(meta.errorsText(meta.errors, { dataVar: 'schema' }));
  const validate = (draft2020 ? new Ajv2020(COMPILE_OPTIONS) : new Ajv(COMPILE_OPTIONS)).compile(schema);
  if (compiled.size >= MAX_COMPILED_SCHEMAS) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

/** How many compiled schemas this process holds (bounded by MAX_COMPILED_SCHEMAS). */
export function compiledSchemaCount(): number {
  return compiled.size;
}

/** Nesting depth of a JSON value (a scalar is 0, `{}` is 1), computed without recursion. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) max = depth + 1;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Why a JSON Schema cannot be used (a sentence for people), or null when it can. */
export function jsonSchemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'The JSON Schema must be an object';
  const depth = jsonDepth(schema, OUTPUT_SCHEMA_LIMITS.maxDepth);
  if (depth > OUTPUT_SCHEMA_LIMITS.maxDepth) return `The JSON Schema nests deeper than ${OUTPUT_SCHEMA_LIMITS.maxDepth} levels`;
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > OUTPUT_SCHEMA_LIMITS.maxBytes) return `The JSON Schema is larger than ${OUTPUT_SCHEMA_LIMITS.maxBytes / 1024} KiB (${Math.ceil(bytes / 1024)} KiB)`;
  try {
    compileOutputSchema(schema as Record<string, unknown>);
    return null;
  } catch (err) {
    return `The JSON Schema is not valid: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export type StructuredOutputCheck = { valid: true; value: unknown } | { valid: false; error: ProviderError };

/**
 * Parses `text` as JSON and validates it against `schema`. Never throws: a bad output — or a schema that
 * cannot be compiled, e.g. one stored before today's limits — gives an `invalid_output` ProviderError (not
 * retryable), so the caller keeps the usage it must still bill.
 */
export function validateStructuredOutput(text: string, schema: Record<string, unknown>): StructuredOutputCheck {
  let validate: ValidateFunction;
  try {
    validate = compileOutputSchema(schema);
  } catch {
    return { valid: false, error: new ProviderError('invalid_output') };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { valid: false, error: new ProviderError('invalid_output') };
  }
  return validate(value) ? { valid: true, value } : { valid: false, error: new ProviderError('invalid_output') };
}
