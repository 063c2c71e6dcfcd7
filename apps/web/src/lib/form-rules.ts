import { useState } from 'react';
import type { $ZodIssue, $ZodType } from 'zod/v4/core';
import { safeParse } from 'zod/mini';

/**
 * Field rules from the API's own document. The API's DTOs (class-validator) produce `apps/api/openapi.json`, and
 * `@hey-api/openapi-ts` turns each request body into a zod schema in `src/api/generated/zod.gen.ts` (`zCreateOperatorDto`,
 * …): a form builds the body it would send and checks it here, so a length, range or enum the API enforces is
 * enforced before the request, in the same words for every form — and changes with the API, not by hand. Parsing
 * what a person typed (dollars to micro-USD, text to numbers) stays in the form; the rules do not.
 */
export type FieldErrors = Partial<Record<string, string>>;

const plural = (n: number | bigint, one: string, many: string) => `${n.toLocaleString('en-US')} ${Number(n) === 1 ? one : many}`;

/** One sentence per issue, for a person: what the field needs, not what the validator saw. */
export function issueMessage(issue: $ZodIssue & { input?: unknown }): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'Required.' : `At least ${plural(issue.minimum, 'character', 'characters')}.`;
      if (issue.origin === 'array') return Number(issue.minimum) <= 1 ? 'Choose at least one.' : `Choose at least ${issue.minimum}.`;
      return `${issue.inclusive === false ? 'More than' : 'At least'} ${issue.minimum.toLocaleString('en-US')}.`;
    case 'too_big':
      if (issue.origin === 'string') return `At most ${plural(issue.maximum, 'character', 'characters')}.`;
      if (issue.origin === 'array') return `At most ${issue.maximum}.`;
      return `${issue.inclusive === false ? 'Less than' : 'At most'} ${issue.maximum.toLocaleString('en-US')}.`;
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null || issue.input === '') return 'Required.';
      return issue.expected === 'number' || issue.expected === 'int' || issue.expected === 'bigint' ? 'Enter a number.' : `Expected ${issue.expected}.`;
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter an email address.' : issue.format === 'uuid' ? 'Choose one from the list.' : `Not a valid ${issue.format}.`;
    case 'invalid_value':
      if (issue.input === undefined || issue.input === '') return 'Required.';
      return `Choose one of: ${issue.values.map(String).join(', ')}.`;
    case 'not_multiple_of':
      return `A multiple of ${String(issue.divisor)}.`;
    case 'unrecognized_keys':
      return `Not accepted: ${issue.keys.join(', ')}.`;
    default:
      return issue.message;
  }
}

/**
 * The bound a number field did not break, found by asking the same schema about an extreme value (an issue names only
 * the bound that was crossed), so the message can give the whole range.
 */
function otherBound(schema: $ZodType, body: unknown, field: string, code: 'too_small' | 'too_big'): number | undefined {
  const probe = safeParse(schema, { ...(body as object), [field]: code === 'too_small' ? -Number.MAX_VALUE : Number.MAX_VALUE });
  const issue = probe.success ? undefined : probe.error.issues.find((i) => i.path.length === 1 && i.path[0] === field && i.code === code);
  if (issue?.code === 'too_small') return Number(issue.minimum);
  if (issue?.code === 'too_big') return Number(issue.maximum);
  return undefined;
}

/** The first problem of each top-level field of `body` under `schema`; empty when the API would accept it. */
export function fieldErrors(schema: $ZodType, body: unknown): FieldErrors {
  const result = safeParse(schema, body, { reportInput: true });
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : '';
    if (errors[field]) continue;
    if ((issue.code === 'too_small' || issue.code === 'too_big') && (issue.origin === 'number' || issue.origin === 'int') && issue.path.length === 1) {
      const minimum = issue.code === 'too_small' ? Number(issue.minimum) : otherBound(schema, body, field, 'too_small');
      const maximum = issue.code === 'too_big' ? Number(issue.maximum) : otherBound(schema, body, field, 'too_big');
      if (minimum !== undefined && maximum !== undefined) {
        errors[field] = `${issue.origin === 'int' ? 'A whole number' : 'A number'} from ${minimum.toLocaleString('en-US')} to ${maximum.toLocaleString('en-US')}.`;
        continue;
      }
    }
    errors[field] = issueMessage(issue);
  }
  return errors;
}

/**
 * A form's rule check: nothing is shown until the first submit; from then on the messages follow every change, so a
 * message leaves as soon as its field is fixed. `attempt()` marks the submit and says whether the body may be sent.
 */
export function useFormRules(schema: $ZodType, body: unknown): { errors: FieldErrors; attempt: () => boolean } {
  const [attempted, setAttempted] = useState(false);
  const current = fieldErrors(schema, body);
  return {
    errors: attempted ? current : {},
    attempt: () => {
      setAttempted(true);
      return Object.keys(current).length === 0;
    },
  };
}
