/** The form's check of the schema text before saving: JSON, and an object. Where a syntax error sits is the editor's job. */
export type SchemaParse = { ok: true; schema: Record<string, unknown> } | { ok: false; message: string };

export function parseSchemaText(text: string): SchemaParse {
  if (!text.trim()) return { ok: false, message: 'Enter a JSON Schema, or insert the example.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'The JSON Schema is not valid JSON: see the editor.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'A JSON Schema must be an object: { "type": "object", … }' };
  return { ok: true, schema: value as Record<string, unknown> };
}
