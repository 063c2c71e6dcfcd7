// A deterministic value that satisfies a JSON Schema: what the mock provider answers to a
// structured-output request. Covers what OpenAI's strict mode allows and a little more — objects,
// required properties, strings (length, common formats), numbers and integers (bounds, multipleOf),
// booleans, null, enum, const, arrays (items, prefixItems, min/maxItems, uniqueItems), nested
// schemas, anyOf/oneOf (first usable branch), allOf (merged objects) and local $refs ($defs,
// definitions). Not covered: `pattern`, `not`, if/then/else, patternProperties.
//
// Two styles share everything that makes a value valid and differ only in the free choices: `sampleJsonForSchema`
// (the mock provider) draws them from a sequence seeded by the request, so different inputs get different answers;
// `plainJsonForSchema` (the test suite's OpenAI-compatible fake) always takes the plainest valid value — "fake" for a
// string, the value nearest 1 (integers) or 1.5 (numbers), the first enum value or branch, one array item — so a
// test can spell out the answer.
import { createHash } from 'node:crypto';

type Schema = Record<string, unknown>;
type Random = () => number;

/** How the free choices are made. */
interface Style {
  /** Draws in [0, 1): which enum value, word, branch, array length, date or digit. */
  random: Random;
  words: readonly string[];
  /** Words in a string that has no format. */
  wordsPerText: number;
  /** Where a number with room to choose lands: the allowed value nearest these, or (none) a drawn one. */
  preferred?: { integer: number; number: number };
}

const WORDS = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'indigo', 'juniper', 'kestrel', 'lagoon', 'meadow', 'nimbus', 'orchid', 'prairie'];
/** Below this depth optional properties and non-required array items are still generated. */
const GENEROUS_DEPTH = 4;
const MAX_DEPTH = 24;

/** mulberry32 seeded from SHA-256(seed): same seed, same sequence, on every platform. */
export function seededRandom(seed: string): Random {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)];
}

function resolveRef(root: Schema, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[key] : undefined;
  }
  return node ?? {};
}

const seededStyle = (seed: string): Style => ({ random: seededRandom(seed), words: WORDS, wordsPerText: 2 });

/** A value valid against `schema`, with free choices drawn from `seed`: same seed, same value (the mock provider). */
export function sampleJsonForSchema(schema: Record<string, unknown>, seed: string): unknown {
  return new Sampler(schema, seededStyle(seed)).sample(schema, 0);
}

const PLAIN: Style = { random: () => 0, words: ['fake'], wordsPerText: 1, preferred: { integer: 1, number: 1.5 } };

/** The plainest value valid against `schema` ("fake", 1, 1.5, true, the first enum value): the test suite's fake. */
export function plainJsonForSchema(schema: Record<string, unknown>): unknown {
  return new Sampler(schema, PLAIN).sample(schema, 0);
}

class Sampler {
  private readonly random: Random;

  constructor(
    private readonly root: Schema,
    private readonly style: Style,
  ) {
    this.random = style.random;
  }

  private word(): string {
    return pick(this.style.words, this.random);
  }

  /**
   * Who samples again when an array's items must differ: a seeded sampler draws on; the plain style would give the
   * same plainest value every time, so it draws from a fixed seed instead (still the same answer for the same schema).
   */
  private another(attempt: number): Sampler {
    return this.style.preferred ? new Sampler(this.root, seededStyle(`another-${attempt}`)) : this;
  }

  sample(node: unknown, depth: number): unknown {
    if (node === true || (isSchema(node) && Object.keys(node).length === 0)) return this.word();
    if (!isSchema(node) || depth > MAX_DEPTH) return null;
    if (typeof node.$ref === 'string') return this.sample(resolveRef(this.root, node.$ref), depth + 1);
    if ('const' in node) return node.const;
    if (Array.isArray(node.enum) && node.enum.length > 0) return pick(node.enum, this.random);
    if (Array.isArray(node.allOf) && node.allOf.length > 0) return this.sampleAllOf(node, depth);
    const branches = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : null;
    if (branches && branches.length > 0) {
      // Prefer a branch that is not just `null`, so the output carries content.
      const branch = branches.find((b) => !(isSchema(b) && b.type === 'null')) ?? branches[0];
      return this.sample(branch, depth + 1);
    }
    switch (this.typeOf(node)) {
      case 'object':
        return this.sampleObject(node, depth);
      case 'array':
        return this.sampleArray(node, depth);
      case 'integer':
        return this.sampleInteger(node);
      case 'number':
        return this.sampleNumber(node);
      case 'boolean':
        return this.random() < 0.5;
      case 'null':
        return null;
      default:
        return this.sampleString(node);
    }
  }

  private typeOf(node: Schema): string {
    const { type } = node;
    if (typeof type === 'string') return type;
    if (Array.isArray(type) && type.length > 0) return (type.find((t) => t !== 'null') ?? type[0]) as string;
    if (isSchema(node.properties) || Array.isArray(node.required)) return 'object';
    if ('items' in node || 'prefixItems' in node) return 'array';
    if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].some((k) => k in node)) return 'number';
    return 'string';
  }

  private sampleAllOf(node: Schema, depth: number): unknown {
    const parts = (node.allOf as unknown[]).map((part) => this.sample(part, depth + 1));
    const { allOf: _allOf, ...rest } = node;
    const base = Object.keys(rest).length > 0 ? this.sample(rest, depth + 1) : undefined;
    const all = base === undefined ? parts : [base, ...parts];
    if (all.every((p) => isSchema(p))) return Object.assign({}, ...all);
    return all[all.length - 1];
  }

  private sampleObject(node: Schema, depth: number): Record<string, unknown> {
    const properties = isSchema(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === 'string') : []);
    const out: Record<string, unknown> = {};
    for (const [name, propertySchema] of Object.entries(properties)) {
      if (required.has(name) || depth < GENEROUS_DEPTH) out[name] = this.sample(propertySchema, depth + 1);
    }
    const extra = isSchema(node.additionalProperties) ? node.additionalProperties : {};
    for (const name of required) if (!(name in out)) out[name] = this.sample(extra, depth + 1);
    const minProperties = num(node.minProperties) ?? 0;
    for (let i = 1; Object.keys(out).length < minProperties && node.additionalProperties !== false; i++) {
      out[`extra_${i}`] = this.sample(extra, depth + 1);
    }
    return out;
  }

  private sampleArray(node: Schema, depth: number): unknown[] {
    const prefix = Array.isArray(node.prefixItems) ? node.prefixItems : Array.isArray(node.items) ? node.items : [];
    const itemSchema = isSchema(node.items) || typeof node.items === 'boolean' ? node.items : Array.isArray(node.items) ? node.additionalItems : {};
    const minItems = num(node.minItems) ?? 0;
    const maxItems = num(node.maxItems) ?? Math.max(minItems, 3);
    const wanted = depth < GENEROUS_DEPTH ? Math.max(minItems, Math.min(maxItems, 1 + Math.floor(this.random() * 2))) : minItems;
    const count = Math.max(Math.min(wanted, maxItems), Math.min(prefix.length, maxItems));
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const schema = i < prefix.length ? prefix[i] : itemSchema;
      if (schema === false) break;
      let value = this.sample(schema, depth + 1);
      if (node.uniqueItems === true) {
        for (let attempt = 0; seen.has(JSON.stringify(value)) && attempt < 20; attempt++) value = this.another(attempt).sample(schema, depth + 1);
        if (seen.has(JSON.stringify(value))) break;
        seen.add(JSON.stringify(value));
      }
      out.push(value);
    }
    return out;
  }

  private sampleString(node: Schema): string {
    const random = this.random;
    let text: string;
    switch (node.format) {
      case 'date-time':
        text = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 365) * 86_400_000 + Math.floor(random() * 86_400) * 1000).toISOString();
        break;
      case 'date':
        text = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 365) * 86_400_000).toISOString().slice(0, 10);
        break;
      case 'time':
        text = `${String(Math.floor(random() * 24)).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}:00Z`;
        break;
      case 'email':
        text = `${this.word()}@example.com`;
        break;
      case 'uri':
      case 'url':
        text = `https://example.com/${this.word()}`;
        break;
      case 'hostname':
        text = `${this.word()}.example.com`;
        break;
      case 'ipv4':
        text = `192.0.2.${1 + Math.floor(random() * 254)}`;
        break;
      case 'uuid': {
        const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
        text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
        break;
      }
      default:
        text = Array.from({ length: this.style.wordsPerText }, () => this.word()).join(' ');
    }
    const minLength = num(node.minLength) ?? 0;
    const maxLength = num(node.maxLength);
    while (text.length < minLength) text += ` ${this.word()}`;
    if (maxLength !== undefined && text.length > maxLength) text = text.slice(0, maxLength);
    return text.length < minLength ? text.padEnd(minLength, 'x') : text;
  }

  private bounds(node: Schema): { low: number | undefined; high: number | undefined; lowOpen: boolean; highOpen: boolean } {
    const min = num(node.minimum);
    const exMin = num(node.exclusiveMinimum);
    const max = num(node.maximum);
    const exMax = num(node.exclusiveMaximum);
    const lowOpen = exMin !== undefined && (min === undefined || exMin >= min);
    const highOpen = exMax !== undefined && (max === undefined || exMax <= max);
    return { low: lowOpen ? exMin : min, high: highOpen ? exMax : max, lowOpen, highOpen };
  }

  private sampleInteger(node: Schema): number {
    const { low, high, lowOpen, highOpen } = this.bounds(node);
    let lo = low === undefined ? undefined : lowOpen ? Math.floor(low) + 1 : Math.ceil(low);
    let hi = high === undefined ? undefined : highOpen ? Math.ceil(high) - 1 : Math.floor(high);
    if (lo === undefined && hi === undefined) [lo, hi] = [0, 100];
    else if (lo === undefined) lo = (hi as number) - 100;
    else if (hi === undefined) hi = lo + 100;
    const multipleOf = num(node.multipleOf);
    const step = multipleOf !== undefined && Number.isInteger(multipleOf) && multipleOf > 0 ? multipleOf : 1;
    const first = Math.ceil((lo as number) / step) * step;
    const choices = Math.floor(((hi as number) - first) / step) + 1;
    if (choices <= 0) return first;
    const preferred = this.style.preferred?.integer;
    const index = preferred === undefined ? Math.floor(this.random() * choices) : Math.min(choices - 1, Math.max(0, Math.round((preferred - first) / step)));
    return first + step * index;
  }

  private sampleNumber(node: Schema): number {
    const multipleOf = num(node.multipleOf);
    if (multipleOf !== undefined && multipleOf > 0) {
      const { low, high, lowOpen, highOpen } = this.bounds(node);
      let k = low === undefined ? 0 : Math.ceil(low / multipleOf);
      if (low !== undefined && lowOpen && k * multipleOf <= low) k += 1;
      const hiK = high === undefined ? k + 10 : Math.floor(high / multipleOf) - (highOpen && Math.floor(high / multipleOf) * multipleOf >= high ? 1 : 0);
      const chosen = hiK >= k ? k + Math.floor(this.random() * (hiK - k + 1)) : k;
      // Validators check multipleOf as `value / multipleOf` being an integer in floating point
      // (0.3 / 0.1 is not): take the nearest multiple that passes that check.
      for (let offset = 0; offset <= Math.max(0, hiK - k); offset++) {
        for (const candidate of [chosen + offset, chosen - offset]) {
          if (candidate < k || candidate > Math.max(k, hiK)) continue;
          const value = Number((candidate * multipleOf).toPrecision(12));
          if (Number.isInteger(value / multipleOf)) return value;
        }
      }
      return Number((chosen * multipleOf).toPrecision(12));
    }
    const { low, high, lowOpen, highOpen } = this.bounds(node);
    const lo = low ?? (high === undefined ? 0 : high - 100);
    const hi = high ?? lo + 100;
    const inside = (v: number) => (lowOpen ? v > lo : v >= lo) && (highOpen ? v < hi : v <= hi);
    const preferred = this.style.preferred?.number;
    if (preferred !== undefined) {
      const nearest = Math.min(hi, Math.max(lo, preferred));
      return inside(nearest) ? nearest : (lo + hi) / 2;
    }
    const raw = lo + (hi - lo) * (0.1 + 0.8 * this.random());
    const rounded = Math.round(raw * 100) / 100;
    if (inside(rounded)) return rounded;
    if (inside(raw)) return raw;
    return lowOpen || highOpen ? (lo + hi) / 2 : lo;
  }
}
