import { DomainError } from '@vaultrun/vault-core';

/**
 * How deeply a request body's objects and arrays may nest. Real bodies stay under 10 levels; an operator's output
 * schema (capped at 32 levels itself) is the deepest thing anyone sends. The limit is checked on the raw text before
 * parsing, so a 5,000-level body never becomes a 5,000-level object for a recursive validator to choke on.
 */
export const MAX_JSON_DEPTH = 64;

/** A lone UTF-16 surrogate: not a character, and PostgreSQL refuses it in json/jsonb (and garbles it in text). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const field = (path: string) => path || 'body';

/**
 * The error codes of hostile bodies (docs/api.md). Each is a 400 naming the field at fault.
 */
function hostile(code: 'json_too_deep' | 'json_forbidden_key' | 'invalid_unicode' | 'number_out_of_range' | 'validation_failed', path: string, message: string): DomainError {
  return new DomainError(code, 'invalid_input', `${field(path)}: ${message}`, { errors: [{ field: field(path), message }] });
}

/** True when the JSON text nests objects/arrays deeper than `max` (a linear scan that skips strings). */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Why a string cannot be stored (NUL, lone surrogate), or null. */
function stringProblem(s: string): { code: 'invalid_unicode' | 'validation_failed'; message: string } | null {
  if (s.includes('\u0000')) return { code: 'validation_failed', message: 'must not contain NUL characters' };
  if (LONE_SURROGATE.test(s)) return { code: 'invalid_unicode', message: 'contains a lone UTF-16 surrogate (not valid Unicode text)' };
  return null;
}

/**
 * Walks a parsed request value without recursion and throws the first hostile thing it finds, naming its path:
 * prototype-poisoning keys (`__proto__`, `constructor.prototype`), NUL characters and lone surrogates in strings or
 * keys, and numbers JavaScript cannot hold exactly (beyond ±2^53−1, or 1e400, which parses as Infinity).
 */
export function assertSafeJsonValue(value: unknown, rootPath = ''): void {
  const stack: [unknown, string][] = [[value, rootPath]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) throw hostile(problem.code, path, problem.message);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
        throw hostile('number_out_of_range', path, `is a number out of range (at most ±${Number.MAX_SAFE_INTEGER})`);
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const childPath = path ? `${path}.${key}` : key;
        if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype'))) {
          throw hostile('json_forbidden_key', childPath, 'is a forbidden key (prototype poisoning)');
        }
        const problem = stringProblem(key);
        if (problem) throw hostile(problem.code, path, `has a key that ${problem.message}`);
        stack.push([child, childPath]);
      }
    }
  }
}

/** Parses a JSON request body: depth-checked before parsing, then checked for hostile content. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0 || !/\S/.test(text)) {
    throw new DomainError('invalid_json', 'invalid_input', 'The body is declared as JSON but is empty.', { errors: [{ field: 'body', message: 'is empty' }] });
  }
  if (jsonTextTooDeep(text)) throw hostile('json_too_deep', '', `nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('invalid_json', 'invalid_input', 'The body is not valid JSON.', { errors: [{ field: 'body', message: 'is not valid JSON' }] });
  }
  assertSafeJsonValue(value);
  return value;
}
