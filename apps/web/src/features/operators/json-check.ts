import type { SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/json';

/**
 * Checks JSON text as a person types it and says where it breaks, by line and column. The position comes from the
 * Lezer JSON parser that CodeMirror's JSON mode uses (every browser: JSON.parse names a position only in some, and
 * words it differently in each); the words come from where the parser stopped, with JSON.parse's own message as the
 * fallback.
 */

export interface JsonSyntaxProblem {
  message: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  /** The text of the offending line, for an excerpt with a caret. */
  lineText: string;
}

export type JsonCheck = { ok: true; value: unknown } | { ok: false; problem: JsonSyntaxProblem };

/** The first node the parser could not fit into the grammar. */
export function firstSyntaxError(text: string): SyntaxNode | null {
  let found: SyntaxNode | null = null;
  parser.parse(text).iterate({
    enter: (node) => {
      if (found) return false;
      if (node.type.isError) found = node.node;
      return undefined;
    },
  });
  return found;
}

/** What went wrong, in words, from where the parser stopped; `at` moves the caret (to a trailing comma). */
function describe(error: SyntaxNode, text: string, parseMessage: string): { message: string; at?: number } {
  const before = error.prevSibling?.name;
  const after = error.nextSibling?.name;
  const inside = error.parent?.name;
  if (text[error.from] === "'") return { message: 'Strings and property names must use double quotes (")' };
  if (inside === 'Object' && before === 'Property' && after === 'Property') return { message: 'Missing “,” between two properties' };
  if (inside === 'Array' && error.firstChild && before !== '[' && before !== ',') return { message: 'Missing “,” between two array items' };
  if (before === ',' && (after === '}' || after === ']')) return { message: `Trailing comma: remove the “,” before “${after}”`, at: error.prevSibling!.from };
  if (inside === 'Property' && before === 'PropertyName') return { message: 'Expected “:” after the property name' };
  if (error.from >= text.trimEnd().length) return { message: inside === 'JsonText' && !before ? 'The text is empty: expected a JSON value' : 'Unexpected end of the text: a “}”, “]” or “"” is missing' };
  if (inside === 'JsonText' && before) return { message: 'Unexpected text after the end of the JSON value' };
  return { message: parseMessage.replace(/\s*in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '') };
}

function lineAndColumn(text: string, position: number): { line: number; column: number; lineText: string } {
  const lines = text.slice(0, position).split('\n');
  const line = lines.length;
  const column = lines[lines.length - 1]!.length + 1;
  return { line, column, lineText: text.split('\n')[line - 1] ?? '' };
}

export function checkJson(text: string): JsonCheck {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const parseMessage = err instanceof Error ? err.message : String(err);
    const error = firstSyntaxError(text);
    // The grammar accepted what JSON.parse refused (a lone surrogate, a huge exponent…): say what JSON.parse said.
    if (!error) return { ok: false, problem: { message: parseMessage, line: 1, column: 1, lineText: text.split('\n')[0] ?? '' } };
    const { message, at = error.from } = describe(error, text, parseMessage);
    return { ok: false, problem: { message, ...lineAndColumn(text, at) } };
  }
}
