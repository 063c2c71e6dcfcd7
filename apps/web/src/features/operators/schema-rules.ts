import { type Schema, Validator } from '@cfworker/json-schema';
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/json';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';

/**
 * Checks a schema against the JSON Schema meta-schema while it is typed — the check the API makes first when it
 * compiles an output schema (ajv's `validateSchema`, draft-07 unless `$schema` names 2020-12), with the same
 * meta-schema file from ajv's package. @cfworker/json-schema interprets it without generating code, which the
 * console's Content-Security-Policy (no 'unsafe-eval') requires. 2020-12 schemas are left to the API's check on save.
 */
const metaSchema = new Validator(draft07 as Schema, '7', false);

export interface SchemaRuleProblem {
  /** JSON Pointer into the schema text's value ('' = the whole schema). */
  pointer: string;
  message: string;
}

export function schemaRuleProblems(schema: Record<string, unknown>): SchemaRuleProblem[] {
  if (typeof schema.$schema === 'string' && schema.$schema.includes('2020-12')) return [];
  const { valid, errors } = metaSchema.validate(schema);
  if (valid) return [];
  // The validator reports the whole chain of failing subschemas: keep the deepest place, its most specific words.
  const deepest = Math.max(...errors.map((e) => e.instanceLocation.length));
  const at = errors.filter((e) => e.instanceLocation.length === deepest && !/subschema|does not match schema|match any subschemas/.test(e.error));
  const first = at[0] ?? errors[errors.length - 1]!;
  const pointer = first.instanceLocation.replace(/^#/, '');
  const name = pointer.split('/').pop();
  return [{ pointer, message: `${name ? `“${decodeURIComponent(name)}”: ` : ''}${first.error.replace(/^Instance /, 'it ')}` }];
}

/** The node of the value at `pointer` in JSON text's syntax tree (the property's value, the array's item). */
export function nodeAtPointer(text: string, pointer: string, root: SyntaxNode = parser.parse(text).topNode): SyntaxNode | null {
  let node: SyntaxNode | null = root.firstChild;
  for (const raw of pointer.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node) return null;
    if (node.name === 'Object') {
      const property: SyntaxNode | undefined = node.getChildren('Property').find((p) => {
        const name = p.getChild('PropertyName');
        return !!name && JSON.parse(text.slice(name.from, name.to)) === key;
      });
      node = property?.lastChild ?? null;
    } else if (node.name === 'Array') {
      node = valuesOf(node)[Number(key)] ?? null;
    } else {
      return null;
    }
  }
  return node;
}

function valuesOf(array: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = array.firstChild; child; child = child.nextSibling) if (!['[', ']', ','].includes(child.name) && !child.type.isError) out.push(child);
  return out;
}
