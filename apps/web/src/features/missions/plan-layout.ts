import { Graph, layout, type Point } from '@dagrejs/dagre';

/**
 * Lays a plan out as a layered graph, top to bottom, with dagre (the Sugiyama layout behind dagre-d3 and Mermaid):
 * a step sits below the steps it depends on, steps that can run in parallel share a row, rows are ordered to avoid
 * crossings and edges are routed around the boxes. Invalid plans lay out too: dependencies on unknown steps and on
 * the step itself are left out, and dagre breaks a cycle by drawing one of its edges upwards (a back edge).
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
  /** SVG path data, from the border of `from` to the border of `to` (arrow at the end). */
  d: string;
  /** Part of a cycle: it points up (or sideways). */
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

/** A smooth path through dagre's route points (Catmull-Rom, as cubic Béziers): it passes through every point. */
function smoothPath(points: Point[]): string {
  if (points.length === 0) return '';
  const at = (i: number) => points[Math.max(0, Math.min(points.length - 1, i))]!;
  let d = `M ${at(0).x} ${at(0).y}`;
  for (let i = 0; i < points.length - 1; i++) {
    const [before, from, to, after] = [at(i - 1), at(i), at(i + 1), at(i + 2)];
    d += ` C ${from.x + (to.x - before.x) / 6} ${from.y + (to.y - before.y) / 6}, ${to.x - (after.x - from.x) / 6} ${to.y - (after.y - from.y) / 6}, ${to.x} ${to.y}`;
  }
  return d;
}

export function layoutPlan(steps: LayoutStep[]): PlanLayout {
  // Duplicate ids (an invalid plan) would collide: only the first of each is drawn.
  const unique = steps.filter((s, i) => steps.findIndex((t) => t.id === s.id) === i);
  if (unique.length === 0) return { boxes: [], edges: [], width: 0, height: 0, layers: 0 };
  const known = new Set(unique.map((s) => s.id));
  const graph = new Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: GAP_X, ranksep: GAP_Y, marginx: PAD, marginy: PAD });
  graph.setDefaultEdgeLabel(() => ({}));
  // Insertion order is dagre's starting order within a row: plan order breaks ties.
  unique.forEach((s) => graph.setNode(s.id, { width: BOX_WIDTH, height: BOX_HEIGHT }));
  for (const s of unique) {
    for (const dep of new Set(s.dependsOn)) if (dep !== s.id && known.has(dep)) graph.setEdge(dep, s.id);
  }
  layout(graph);

  const rows = [...new Set(unique.map((s) => graph.node(s.id).y!))].sort((a, b) => a - b);
  const boxes: LayoutBox[] = unique.map((s) => {
    const node = graph.node(s.id);
    return { id: s.id, layer: rows.indexOf(node.y!), x: node.x! - BOX_WIDTH / 2, y: node.y! - BOX_HEIGHT / 2 };
  });
  const edges: LayoutEdge[] = graph.edges().map(({ v, w }) => {
    const from = graph.node(v);
    const to = graph.node(w);
    return { from: v, to: w, d: smoothPath(graph.edge(v, w).points ?? []), back: from.y! >= to.y! };
  });
  const { width = 0, height = 0 } = graph.graph();
  return { boxes, edges, width, height, layers: rows.length };
}
