import { diffArrays } from 'diff';
import type { ComparisonDto, ComparisonSideDto } from '../../api/generated/types.gen.js';

/**
 * A diff of two outputs shown side by side: jsdiff's Myers diff (`diffArrays`) over their words (text) or lines
 * (JSON, pretty-printed), tokens compared without their whitespace, and everything not in common marked as changed
 * on its own side. Bounded: past MAX_EDIT_LENGTH differing tokens it falls back to lines, then to marking the whole
 * output.
 */

export interface DiffSegment {
  text: string;
  changed: boolean;
}

export interface OutputDiff {
  left: DiffSegment[];
  right: DiffSegment[];
  /** How it was compared: word by word, line by line, or as a whole (too long to compare finer). */
  unit: 'word' | 'line' | 'whole';
  /** The two are identical. */
  same: boolean;
}

/** Myers' diff costs O((N + M) · D) for D differences: past this many it stops and says so (undefined). */
const MAX_EDIT_LENGTH = 2000;

/** Words with the whitespace after them (a leading run of whitespace is its own token), compared without it. */
export function wordTokens(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

/** Lines with their line break. */
export function lineTokens(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Which tokens of `a` and of `b` are common to both (compared trimmed), or undefined past MAX_EDIT_LENGTH. Read from
 * each change's token count, so each side keeps its own tokens — jsdiff reports common tokens as the *new* side's.
 */
function commonTokens(a: string[], b: string[]): { inA: boolean[]; inB: boolean[] } | undefined {
  const changes = diffArrays(a, b, { comparator: (x, y) => x.trim() === y.trim(), maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) return undefined;
  const inA: boolean[] = [];
  const inB: boolean[] = [];
  for (const change of changes) {
    const common = !change.added && !change.removed;
    if (!change.added) inA.push(...new Array<boolean>(change.count).fill(common));
    if (!change.removed) inB.push(...new Array<boolean>(change.count).fill(common));
  }
  return { inA, inB };
}

/**
 * Adjacent tokens with the same flag become one segment; whitespace never counts as a change, so a changed run of
 * words ends at its last word (the whitespace after it is unchanged text).
 */
function segments(tokens: string[], common: boolean[]): DiffSegment[] {
  const out: DiffSegment[] = [];
  const push = (text: string, changed: boolean) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.changed === changed) last.text += text;
    else out.push({ text, changed });
  };
  tokens.forEach((text, k) => {
    if (common[k] || text.trim() === '') return push(text, false);
    const word = text.trimEnd();
    push(word, true);
    push(text.slice(word.length), false);
  });
  // A space between two changed words belongs to the change it sits in.
  for (let k = out.length - 2; k > 0; k--) {
    if (!out[k]!.changed && out[k]!.text.trim() === '' && out[k - 1]!.changed && out[k + 1]!.changed) {
      out[k - 1]!.text += out[k]!.text + out[k + 1]!.text;
      out.splice(k, 2);
    }
  }
  return out;
}

function whole(left: string, right: string, same: boolean): OutputDiff {
  return { left: left ? [{ text: left, changed: !same }] : [], right: right ? [{ text: right, changed: !same }] : [], unit: 'whole', same };
}

export function diffOutputs(left: string, right: string, prefer: 'word' | 'line' = 'word'): OutputDiff {
  if (left === right) return whole(left, right, true);
  const units: ('word' | 'line')[] = prefer === 'word' ? ['word', 'line'] : ['line'];
  for (const unit of units) {
    const a = unit === 'word' ? wordTokens(left) : lineTokens(left);
    const b = unit === 'word' ? wordTokens(right) : lineTokens(right);
    const common = commonTokens(a, b);
    if (!common) continue;
    return { left: segments(a, common.inA), right: segments(b, common.inB), unit, same: false };
  }
  return whole(left, right, false);
}

/** What each side's output is compared as: pretty JSON when both matched the schema, else the raw text. */
export function outputTextOf(side: ComparisonSideDto, asJson: boolean): string | null {
  if (side.output === null) return null;
  return asJson ? JSON.stringify(side.outputJson, null, 2) : side.output;
}

export function diffOf(c: ComparisonDto): { diff: OutputDiff | null; asJson: boolean } {
  const asJson = c.mock.schemaValid === true && c.live.schemaValid === true;
  const left = outputTextOf(c.mock, asJson);
  const right = outputTextOf(c.live, asJson);
  if (left === null || right === null) return { diff: null, asJson };
  return { diff: diffOutputs(left, right, asJson ? 'line' : 'word'), asJson };
}
