/**
 * A small diff for two outputs shown side by side: the longest common subsequence of their words (text) or lines
 * (JSON, pretty-printed), and everything outside it marked as changed on its own side. Quadratic, so it is bounded:
 * past MAX_CELLS it falls back to lines, then to marking the whole output.
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

const MAX_CELLS = 1_000_000;

/** Words with the whitespace after them (a leading run of whitespace is its own token), compared without it. */
export function wordTokens(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

/** Lines with their line break. */
export function lineTokens(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Which tokens of `a` and of `b` belong to their longest common subsequence (compared trimmed). */
function commonTokens(a: string[], b: string[]): { inA: boolean[]; inB: boolean[] } {
  const n = a.length;
  const m = b.length;
  const ka = a.map((t) => t.trim());
  const kb = b.map((t) => t.trim());
  // lengths[i][j] = LCS of a[i..] and b[j..], flattened.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = ka[i] === kb[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  const inA = new Array<boolean>(n).fill(false);
  const inB = new Array<boolean>(m).fill(false);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) {
      inA[i++] = true;
      inB[j++] = true;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) {
      i++;
    } else {
      j++;
    }
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
    if ((a.length + 1) * (b.length + 1) > MAX_CELLS) continue;
    const { inA, inB } = commonTokens(a, b);
    return { left: segments(a, inA), right: segments(b, inB), unit, same: false };
  }
  return whole(left, right, false);
}
