import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, foldGutter, HighlightStyle, indentOnInput, syntaxHighlighting, syntaxTree } from '@codemirror/language';
import { type Diagnostic, lintGutter, linter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { useEffect, useRef } from 'react';
import { checkJson } from './json-check.js';
import { nodeAtPointer, schemaRuleProblems } from './schema-rules.js';

/** Syntax colours from the stylesheet's tokens, so both colour schemes keep their contrast. */
const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--code-key)' },
  { tag: tags.string, color: 'var(--code-string)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--code-literal)' },
  { tag: [tags.brace, tags.squareBracket, tags.separator, tags.punctuation], color: 'var(--text-2)' },
]);

/**
 * Squiggles for what the API would refuse, as the text is typed: a syntax error where the parser stopped, and a
 * schema that breaks the JSON Schema meta-schema at the value concerned. The panel under the editor repeats the
 * syntax error in words; meta-schema problems stay in the editor (the API's own verdict comes on save).
 */
const schemaLinter = linter(
  (view) => {
    const text = view.state.doc.toString();
    if (!text.trim()) return [];
    const check = checkJson(text);
    if (!check.ok) {
      const line = view.state.doc.line(Math.min(check.problem.line, view.state.doc.lines));
      const from = Math.min(line.from + check.problem.column - 1, line.to);
      return [{ from, to: Math.min(from + 1, view.state.doc.length), severity: 'error', message: check.problem.message }];
    }
    if (typeof check.value !== 'object' || check.value === null || Array.isArray(check.value)) return [];
    return schemaRuleProblems(check.value as Record<string, unknown>).map((problem): Diagnostic => {
      const node = nodeAtPointer(text, problem.pointer, syntaxTree(view.state).topNode);
      return { from: node?.from ?? 0, to: node?.to ?? 0, severity: 'warning', source: 'JSON Schema', message: problem.message };
    });
  },
  { delay: 300 },
);

/**
 * CodeMirror 6 with its JSON mode: line numbers, highlighting, bracket matching and closing, folding, undo history,
 * Tab to indent, and the schema linter. Controlled from outside through `value` (Insert example, Format); the text
 * typed here goes out through `onChange`. Loaded on demand (React.lazy): only the operator form's JSON format needs it.
 */
export default function SchemaCodeEditor({
  id,
  labelId,
  describedBy,
  value,
  invalid,
  onChange,
}: {
  id: string;
  labelId: string;
  describedBy: string;
  value: string;
  invalid: boolean;
  onChange: (text: string) => void;
}) {
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const view = new EditorView({
      parent: hostRef.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          foldGutter(),
          lintGutter(),
          history(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          highlightActiveLine(),
          highlightActiveLineGutter(),
          json(),
          syntaxHighlighting(highlight),
          schemaLinter,
          placeholder('{\n  "type": "object",\n  "properties": { … }\n}'),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
          EditorView.contentAttributes.of({
            id,
            'data-testid': 'operator-schema',
            'aria-labelledby': labelId,
            'aria-describedby': describedBy,
            'aria-multiline': 'true',
            role: 'textbox',
            spellcheck: 'false',
            autocapitalize: 'off',
            autocorrect: 'off',
          }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
    // Created once; later values arrive through the effect below.
  }, []);

  // A value set from outside (Insert example, Format, a reset) replaces the text; what was typed here is already it.
  useEffect(() => {
    const view = viewRef.current;
    if (view && view.state.doc.toString() !== value) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    viewRef.current?.contentDOM.setAttribute('aria-invalid', String(invalid));
  }, [invalid]);

  return <div ref={hostRef} className={`code-editor${invalid ? ' code-editor-invalid' : ''}`} />;
}
