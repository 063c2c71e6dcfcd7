import { useMemo, useRef } from 'react';
import { checkJson } from './json-syntax.js';

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
 * A monospace editor for the operator's output schema: line numbers, syntax checked as you type (the error names
 * the line and column, with the line quoted), the API's verdict on save (`apiError`: the schema parses but does
 * not compile), an example to start from and a Format button.
 */
export function JsonSchemaEditor({
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
  const gutterRef = useRef<HTMLDivElement>(null);
  const lineCount = value.split('\n').length;
  const errorLine = !check.ok ? check.line : undefined;
  const showError = !check.ok && (value.trim() !== '' || showEmptyError);
  const errorId = `${id}-error`;

  return (
    <div className="schema-editor">
      <div className="schema-toolbar">
        <label htmlFor={id}>Output JSON Schema</label>
        <div className="schema-actions">
          <button type="button" className="btn btn-ghost btn-small" data-testid="operator-schema-example" onClick={() => onChange(EXAMPLE_SCHEMA)}>
            Insert example
          </button>
          <button type="button" className="btn btn-ghost btn-small" disabled={!check.ok} onClick={() => check.ok && onChange(JSON.stringify(check.schema, null, 2))}>
            Format
          </button>
        </div>
      </div>
      <div className={`code-editor${showError || apiError ? ' code-editor-invalid' : ''}`}>
        <div className="code-gutter" ref={gutterRef} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => (
            <span key={i} className={i + 1 === errorLine ? 'gutter-error' : undefined}>
              {i + 1}
            </span>
          ))}
        </div>
        <textarea
          id={id}
          data-testid="operator-schema"
          className="code-input"
          value={value}
          rows={Math.min(22, Math.max(10, lineCount + 1))}
          spellCheck={false}
          autoCapitalize="off"
          autoComplete="off"
          wrap="off"
          aria-invalid={showError || !!apiError}
          aria-describedby={errorId}
          placeholder={'{\n  "type": "object",\n  "properties": { … }\n}'}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutterRef.current) gutterRef.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
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
