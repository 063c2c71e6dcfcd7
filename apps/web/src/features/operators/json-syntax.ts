/**
 * Checks JSON text as a person types it and says where it breaks, by line and column. JSON.parse alone is not
 * enough: depending on the error, V8's message names a position or only quotes the text.
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

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function describeChar(c: string | undefined): string {
  if (c === undefined) return 'the end of the text';
  if (c === '\n') return 'a line break';
  return `“${c}”`;
}

/** A recursive-descent validator of RFC 8259 JSON; throws JsonSyntaxError at the first mistake. */
class Scanner {
  private i = 0;

  constructor(private readonly s: string) {}

  run(): void {
    this.skipWhitespace();
    if (this.i >= this.s.length) this.fail('The text is empty: expected a JSON value');
    this.value();
    this.skipWhitespace();
    if (this.i < this.s.length) this.fail(`Unexpected ${describeChar(this.s[this.i])} after the end of the JSON value`);
  }

  private fail(message: string, at = this.i): never {
    throw new JsonSyntaxError(message, at);
  }

  private skipWhitespace(): void {
    while (this.i < this.s.length && WHITESPACE.has(this.s[this.i]!)) this.i++;
  }

  private value(): void {
    this.skipWhitespace();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    if (c === "'") this.fail('Strings must use double quotes (")');
    if (c === undefined) this.fail('Unexpected end of the text: expected a value');
    this.fail(`Unexpected ${describeChar(c)}: expected a value (object, array, string, number, true, false or null)`);
  }

  private object(): void {
    this.i++;
    this.skipWhitespace();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      const c = this.s[this.i];
      if (c !== '"') {
        if (c === undefined) this.fail('Unexpected end of the text: expected a property name or “}”');
        if (c === "'") this.fail('Property names must use double quotes (")');
        this.fail(`Expected a property name in double quotes, found ${describeChar(c)}`);
      }
      this.string();
      this.skipWhitespace();
      if (this.s[this.i] !== ':') this.fail(`Expected “:” after the property name, found ${describeChar(this.s[this.i])}`);
      this.i++;
      this.value();
      this.skipWhitespace();
      const next = this.s[this.i];
      if (next === ',') {
        const comma = this.i;
        this.i++;
        this.skipWhitespace();
        if (this.s[this.i] === '}') this.fail('Trailing comma: remove the “,” before “}”', comma);
        continue;
      }
      if (next === '}') {
        this.i++;
        return;
      }
      if (next === undefined) this.fail('Unexpected end of the text: expected “,” or “}”');
      if (next === '"') this.fail('Missing “,” between two properties');
      this.fail(`Expected “,” or “}” after a property value, found ${describeChar(next)}`);
    }
  }

  private array(): void {
    this.i++;
    this.skipWhitespace();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      this.skipWhitespace();
      const next = this.s[this.i];
      if (next === ',') {
        const comma = this.i;
        this.i++;
        this.skipWhitespace();
        if (this.s[this.i] === ']') this.fail('Trailing comma: remove the “,” before “]”', comma);
        continue;
      }
      if (next === ']') {
        this.i++;
        return;
      }
      if (next === undefined) this.fail('Unexpected end of the text: expected “,” or “]”');
      if ('"{[-0123456789tfn'.includes(next)) this.fail('Missing “,” between two array items');
      this.fail(`Expected “,” or “]” after an array item, found ${describeChar(next)}`);
    }
  }

  private string(): void {
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('Unterminated string: add the closing “"”', start);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          this.i += 2;
          continue;
        }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) {
          this.i += 6;
          continue;
        }
        this.fail('Invalid escape sequence in a string');
      }
      if (c < ' ') this.fail(c === '\n' ? 'Unterminated string: a line break inside a string must be written \\n' : 'Control characters inside a string must be escaped');
      this.i++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    const match = NUMBER.exec(this.s);
    if (!match) this.fail('Invalid number');
    this.i += match[0].length;
  }

  private literal(word: string): void {
    if (!this.s.startsWith(word, this.i)) this.fail(`Unexpected ${describeChar(this.s[this.i])}: expected a value (did you mean ${word}?)`);
    this.i += word.length;
  }
}

function locate(text: string, position: number): Omit<JsonSyntaxProblem, 'message'> {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  return { line, column: position - lineStart + 1, lineText: text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd).replace(/\r$/, '') };
}

export function checkJson(text: string): JsonCheck {
  try {
    new Scanner(text).run();
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, problem: { message: err.message, ...locate(text, err.position) } };
    throw err;
  }
  return { ok: true, value: JSON.parse(text) as unknown };
}
