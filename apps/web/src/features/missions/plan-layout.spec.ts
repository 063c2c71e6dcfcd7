import { describe, expect, it } from '@jest/globals';
import { BOX_HEIGHT, layoutPlan } from './plan-layout.js';

const byId = (layout: ReturnType<typeof layoutPlan>) => new Map(layout.boxes.map((b) => [b.id, b]));

describe('plan layout (dagre)', () => {
  it('puts a step below what it depends on, and steps that can run in parallel side by side in one row', () => {
    const layout = layoutPlan([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a'] },
      { id: 'd', dependsOn: ['b', 'c'] },
    ]);
    const box = byId(layout);
    expect(layout.layers).toBe(3);
    expect([box.get('a')!.layer, box.get('b')!.layer, box.get('c')!.layer, box.get('d')!.layer]).toEqual([0, 1, 1, 2]);
    expect(box.get('b')!.y).toBe(box.get('c')!.y);
    expect(box.get('b')!.y).toBeGreaterThanOrEqual(box.get('a')!.y + BOX_HEIGHT);
    expect(box.get('b')!.x).not.toBe(box.get('c')!.x);
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(['a->b', 'a->c', 'b->d', 'c->d']);
    expect(layout.edges.every((e) => !e.back && e.d.startsWith('M '))).toBe(true);
    // Everything fits the reported size.
    for (const b of layout.boxes) expect(b.x).toBeGreaterThanOrEqual(0);
    expect(Math.max(...layout.boxes.map((b) => b.y + BOX_HEIGHT))).toBeLessThanOrEqual(layout.height);
  });

  it('lays out invalid plans: unknown and self dependencies left out, a cycle drawn with a back edge, duplicates once', () => {
    const layout = layoutPlan([
      { id: 'a', dependsOn: ['d', 'ghost'] },
      { id: 'b', dependsOn: ['a', 'b'] },
      { id: 'd', dependsOn: ['b'] },
      { id: 'a', dependsOn: [] },
    ]);
    expect(layout.boxes.map((b) => b.id).sort()).toEqual(['a', 'b', 'd']);
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(['a->b', 'b->d', 'd->a']);
    expect(layout.edges.filter((e) => e.back)).toHaveLength(1);
    expect(layoutPlan([])).toEqual({ boxes: [], edges: [], width: 0, height: 0, layers: 0 });
  });
});
