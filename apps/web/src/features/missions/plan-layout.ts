/**
 * Lays a plan out as a layered graph, top to bottom: a step sits one layer below the deepest step it depends on,
 * so steps that can run in parallel share a row. Within a row steps are ordered by where their dependencies sit
 * (one barycenter pass), which keeps edges from crossing in the plans people write. Invalid plans lay out too:
 * dependencies on unknown steps are ignored and a cycle is cut where it closes (that edge is drawn as a back edge).
 */

export interface LayoutStep {
  id: string;
  dependsOn: string[];
}

export interface LayoutBox {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** SVG path data, from the bottom of `from` to the top of `to` (arrow at the end). */
  d: string;
  /** Part of a cycle, or between steps of one row: drawn beside the boxes. */
  back: boolean;
}

export interface PlanLayout {
  boxes: LayoutBox[];
  edges: LayoutEdge[];
  width: number;
  height: number;
  layers: number;
}

export const BOX_WIDTH = 164;
export const BOX_HEIGHT = 82;
const GAP_X = 20;
const GAP_Y = 46;
const PAD = 6;

/** Depth of each step: 0 without (known) dependencies, else one more than its deepest dependency. */
export function stepDepths(steps: LayoutStep[]): Map<string, number> {
  const known = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const done = depth.get(id);
    if (done !== undefined) return done;
    visiting.add(id);
    let d = 0;
    for (const dep of known.get(id)?.dependsOn ?? []) {
      // An unknown step, the step itself or a step on the current path (a cycle) does not push it down.
      if (dep === id || !known.has(dep) || visiting.has(dep)) continue;
      d = Math.max(d, visit(dep) + 1);
    }
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id);
  return depth;
}

export function layoutPlan(steps: LayoutStep[]): PlanLayout {
  // Duplicate ids (an invalid plan) would collide: only the first of each is drawn.
  const unique = steps.filter((s, i) => steps.findIndex((t) => t.id === s.id) === i);
  const depth = stepDepths(unique);
  const layerCount = unique.length ? Math.max(...unique.map((s) => depth.get(s.id) ?? 0)) + 1 : 0;
  const rows: LayoutStep[][] = Array.from({ length: layerCount }, () => []);
  unique.forEach((s) => rows[depth.get(s.id) ?? 0]!.push(s));

  // Order each row by the mean position of its dependencies in the rows above (plan order breaks ties).
  const position = new Map<string, number>();
  const order = new Map(unique.map((s, i) => [s.id, i]));
  rows.forEach((row, layer) => {
    if (layer > 0) {
      const center = (s: LayoutStep) => {
        const placed = s.dependsOn.map((d) => position.get(d)).filter((p): p is number => p !== undefined);
        return placed.length ? placed.reduce((a, b) => a + b, 0) / placed.length : Number.POSITIVE_INFINITY;
      };
      row.sort((a, b) => center(a) - center(b) || order.get(a.id)! - order.get(b.id)!);
    }
    const offset = (row.length - 1) / 2;
    row.forEach((s, i) => position.set(s.id, i - offset));
  });

  const widest = Math.max(1, ...rows.map((r) => r.length));
  const width = PAD * 2 + widest * BOX_WIDTH + (widest - 1) * GAP_X;
  const height = layerCount ? PAD * 2 + layerCount * BOX_HEIGHT + (layerCount - 1) * GAP_Y : 0;
  const boxes: LayoutBox[] = [];
  const byId = new Map<string, LayoutBox>();
  rows.forEach((row, layer) => {
    const rowWidth = row.length * BOX_WIDTH + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((s, i) => {
      const box = { id: s.id, layer, x: left + i * (BOX_WIDTH + GAP_X), y: PAD + layer * (BOX_HEIGHT + GAP_Y) };
      boxes.push(box);
      byId.set(s.id, box);
    });
  });

  const edges: LayoutEdge[] = [];
  for (const s of unique) {
    const to = byId.get(s.id)!;
    for (const dep of new Set(s.dependsOn)) {
      const from = byId.get(dep);
      if (!from || dep === s.id) continue;
      if (from.layer < to.layer) {
        const x1 = from.x + BOX_WIDTH / 2;
        const y1 = from.y + BOX_HEIGHT;
        const x2 = to.x + BOX_WIDTH / 2;
        const y2 = to.y - 3;
        const bend = Math.max(18, (y2 - y1) / 2);
        edges.push({ from: dep, to: s.id, d: `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`, back: false });
      } else {
        // Upward or sideways (a cycle): leave from the right side of `from`, arrive at the right side of `to`.
        const x1 = from.x + BOX_WIDTH;
        const y1 = from.y + BOX_HEIGHT / 2;
        const x2 = to.x + BOX_WIDTH + 3;
        const y2 = to.y + BOX_HEIGHT / 2 + (from === to ? 0 : 8);
        const out = GAP_X + 10;
        edges.push({ from: dep, to: s.id, d: `M ${x1} ${y1} C ${x1 + out} ${y1}, ${x2 + out} ${y2}, ${x2} ${y2}`, back: true });
      }
    }
  }
  // Room on the right for back edges.
  const extra = edges.some((e) => e.back) ? GAP_X + 14 : 0;
  return { boxes, edges, width: width + extra, height, layers: layerCount };
}
