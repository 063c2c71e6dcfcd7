import { lazy, Suspense, useMemo } from 'react';
import { checkJson } from './json-check.js';

// CodeMirror and the meta-schema are a chunk of their own, fetched when a form first shows a JSON schema.
const SchemaCodeEditor = lazy(() => import('./SchemaCodeEditor.js'));

export const EXAMPLE_SCHEMA = `{
  "type": "object",
  "properties": {
    "summary": { "type": "string", "description": "One sentence" },
    "sentiment": { "type": "string", "enum": ["positive", "neutral", "negative"] },
    "tags": { "type": "array", "items": { "type": "string" } }
  },
  "required": ["summary", "sentiment", "tags"],
  "additionalProperties": false
}`;

export type SchemaCheck = { ok: true; schema: Record<string, unknown> } | { ok: false; message: string; line?: number; column?: number; lineText?: string };

/** Parses the editor's text into a schema object, or says (by line and column) why it cannot. */
export function checkSchemaText(text: string): SchemaCheck {
  if (!text.trim()) return { ok: false, message: 'Enter a JSON Schema, or insert the example.' };
  const parsed = checkJson(text);
  if (!parsed.ok) return { ok: false, ...parsed.problem };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return { ok: false, message: 'A JSON Schema must be an object: { "type": "object", … }' };
  }
  return { ok: true, schema: parsed.value as Record<string, unknown> };
}

function summary(schema: Record<string, unknown>): string {
  const props = schema.properties && typeof schema.properties === 'object' ? Object.keys(schema.properties).length : 0;
  const type = typeof schema.type === 'string' ? schema.type : 'schema';
  return props ? `${type} with ${props} propert${props === 1 ? 'y' : 'ies'}` : type;
}

/**
 * The operator's output schema in a code editor (CodeMirror 6, JSON mode: line numbers, highlighting, brackets,
 * folding), syntax checked as you type (the error names the line and column, with the line quoted), the schema
 * checked against the JSON Schema meta-schema in the editor, the API's verdict on save (`apiError`: the schema
 * parses but does not compile), an example to start from and a Format button.
 */
export default function JsonSchemaEditor({
  id,
  value,
  onChange,
  apiError,
  showEmptyError,
}: {
  id: string;
  value: string;
  onChange: (text: string) => void;
  apiError?: string;
  /** After a save attempt, an empty editor is an error too. */
  showEmptyError?: boolean;
}) {
  const check = useMemo(() => checkSchemaText(value), [value]);
  const showError = !check.ok && (value.trim() !== '' || showEmptyError);
  const errorId = `${id}-error`;
  const labelId = `${id}-label`;

  return (
    <div className="schema-editor">
      <div className="schema-toolbar">
        <span className="schema-label" id={labelId}>
          Output JSON Schema
        </span>
        <div className="schema-actions">
          <button type="button" className="btn btn-ghost btn-small" data-testid="operator-schema-example" onClick={() => onChange(EXAMPLE_SCHEMA)}>
            Insert example
          </button>
          <button type="button" className="btn btn-ghost btn-small" disabled={!check.ok} onClick={() => check.ok && onChange(JSON.stringify(check.schema, null, 2))}>
            Format
          </button>
        </div>
      </div>
      <Suspense fallback={<div className="code-editor code-editor-loading">Loading the editor…</div>}>
        <SchemaCodeEditor id={id} labelId={labelId} describedBy={errorId} value={value} invalid={!!showError || !!apiError} onChange={onChange} />
      </Suspense>
      <div id={errorId} aria-live="polite">
        {showError && !check.ok ? (
          <div className="schema-error" data-testid="operator-schema-error" data-source="syntax">
            <p>
              {check.line ? (
                <strong>
                  Line {check.line}, column {check.column}:{' '}
                </strong>
              ) : null}
              {check.message}
            </p>
            {check.line && check.lineText !== undefined ? (
              <pre className="schema-excerpt">
                <span className="excerpt-line">
                  {String(check.line).padStart(3)} | {check.lineText}
                </span>
                {'\n'}
                <span className="excerpt-caret">
                  {'    | '}
                  {' '.repeat(Math.max(0, (check.column ?? 1) - 1))}^
                </span>
              </pre>
            ) : null}
          </div>
        ) : apiError ? (
          <div className="schema-error" data-testid="operator-schema-error" data-source="api">
            <p>{apiError}</p>
          </div>
        ) : check.ok ? (
          <p className="schema-ok">Valid JSON · {summary(check.schema)}. The API compiles the schema when you save; every run&apos;s output is validated against it.</p>
        ) : null}
      </div>
      <p className="field-hint">
        For OpenAI structured outputs (strict mode), list every property in <code className="mono">required</code> and set <code className="mono">additionalProperties</code> to{' '}
        <code className="mono">false</code>. An output that does not match fails the run with “Output did not match the schema”.
      </p>
    </div>
  );
}
