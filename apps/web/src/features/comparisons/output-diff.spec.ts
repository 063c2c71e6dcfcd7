import { describe, expect, it } from '@jest/globals';
import { diffOutputs, lineTokens, wordTokens } from './output-diff.js';

const changed = (segments: { text: string; changed: boolean }[]) => segments.filter((s) => s.changed).map((s) => s.text.trim());

describe('output diff', () => {
  it('marks the words each side has that the other does not', () => {
    const d = diffOutputs('The export button does nothing on Safari.', 'The export button fails on Safari. Really.');
    expect(d.unit).toBe('word');
    expect(d.same).toBe(false);
    expect(changed(d.left)).toEqual(['does nothing']);
    expect(changed(d.right)).toEqual(['fails', 'Really.']);
    // Nothing is lost: the segments spell each output.
    expect(d.left.map((s) => s.text).join('')).toBe('The export button does nothing on Safari.');
    expect(d.right.map((s) => s.text).join('')).toBe('The export button fails on Safari. Really.');
    // A change is its words, not the spaces around them.
    expect(d.left.filter((s) => s.changed).map((s) => s.text)).toEqual(['does nothing']);
  });

  it('ignores differences in whitespace between words', () => {
    const d = diffOutputs('a  b\nc', 'a b c');
    expect(changed(d.left)).toEqual([]);
    expect(changed(d.right)).toEqual([]);
  });

  it('compares pretty-printed JSON line by line', () => {
    const left = JSON.stringify({ summary: 'Login loops', priority: 2 }, null, 2);
    const right = JSON.stringify({ summary: 'Login loops', priority: 1 }, null, 2);
    const d = diffOutputs(left, right, 'line');
    expect(d.unit).toBe('line');
    expect(changed(d.left)).toEqual(['"priority": 2']);
    expect(changed(d.right)).toEqual(['"priority": 1']);
  });

  it('says when both are the same, and falls back to lines, then to the whole, for long outputs', () => {
    expect(diffOutputs('same', 'same')).toMatchObject({ same: true, unit: 'whole', left: [{ text: 'same', changed: false }] });
    const many = (w: string) => Array.from({ length: 1500 }, (_, i) => `${w}${i}`).join(' ');
    expect(diffOutputs(many('a'), many('b')).unit).toBe('line');
    const manyLines = (w: string) => Array.from({ length: 1500 }, (_, i) => `${w}${i}`).join('\n');
    expect(diffOutputs(manyLines('a'), manyLines('b'))).toMatchObject({ unit: 'whole', left: [{ changed: true }], right: [{ changed: true }] });
    expect(diffOutputs('', 'x')).toMatchObject({ left: [], right: [{ text: 'x', changed: true }] });
  });

  it('tokenizes words and lines keeping every character', () => {
    expect(wordTokens('  hi there\n')).toEqual(['  ', 'hi ', 'there\n']);
    expect(lineTokens('a\nb')).toEqual(['a\n', 'b']);
  });
});
