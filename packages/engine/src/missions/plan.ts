// Plans: what the Copilot proposes, checked before anything runs. A plan is a set of steps, each naming an
// operator, its input (which may insert an earlier step's output with {{steps.<id>.output}}) and the steps it
// depends on. Invalid plans — unknown operator, cycle, dangling reference — are rejected with every problem named.
import type { PlanStep } from '@vaultrun/db';
import type { CopilotPlanDraft } from '@vaultrun/providers';

export const MAX_PLAN_STEPS = 25;
const STEP_ID = /^[A-Za-z0-9_-]{1,40}$/;
/** `{{steps.<id>.output}}` (spaces allowed inside the braces). */
const REFERENCE = /\{\{\s*steps\.([A-Za-z0-9_-]+)\.output\s*\}\}/g;

export interface PlanOperator {
  id: string;
  name: string;
}

export type PlanCheck = { ok: true; steps: PlanStep[] } | { ok: false; errors: string[]; steps: PlanStep[] };

/** The step ids an input refers to, in order of first appearance. */
export function referencesIn(input: string): string[] {
  return [...new Set([...input.matchAll(REFERENCE)].map((m) => m[1]!))];
}

/**
 * Checks a plan against the workspace's operators (matched by id, or by name ignoring case). Returns the steps
 * as stored — with operator ids — and, when invalid, one message per problem.
 */
export function checkPlan(draft: Pick<CopilotPlanDraft, 'steps'>, operators: readonly PlanOperator[]): PlanCheck {
  const errors: string[] = [];
  const rawSteps = Array.isArray(draft.steps) ? draft.steps : [];
  if (rawSteps.length === 0) errors.push('The plan has no steps.');
  if (rawSteps.length > MAX_PLAN_STEPS) errors.push(`The plan has ${rawSteps.length} steps; at most ${MAX_PLAN_STEPS} are allowed.`);

  const byName = new Map(operators.map((o) => [o.name.toLowerCase(), o]));
  const byId = new Map(operators.map((o) => [o.id, o]));
  const seen = new Set<string>();
  const steps: PlanStep[] = rawSteps.map((s, i) => {
    const id = typeof s?.id === 'string' ? s.id.trim() : '';
    const label = id ? `Step "${id}"` : `Step ${i + 1}`;
    if (!STEP_ID.test(id)) errors.push(`${label} needs an id of 1–40 letters, digits, "-" or "_".`);
    else if (seen.has(id)) errors.push(`Two steps have the id "${id}".`);
    seen.add(id);
    const name = typeof s?.operator === 'string' ? s.operator.trim() : '';
    const operator = byId.get(name) ?? byName.get(name.toLowerCase()) ?? null;
    if (!operator) errors.push(`${label} names operator "${name}", which is not an operator of this workspace.`);
    const input = typeof s?.input === 'string' ? s.input : '';
    if (!input.trim()) errors.push(`${label} has no input.`);
    const dependsOn = Array.isArray(s?.dependsOn) ? [...new Set(s.dependsOn.filter((d): d is string => typeof d === 'string'))] : [];
    return { id, operatorId: operator?.id ?? null, operatorName: operator?.name ?? name, input, dependsOn };
  });

  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) {
    for (const d of s.dependsOn) {
      if (d === s.id) errors.push(`Step "${s.id}" depends on itself.`);
      else if (!ids.has(d)) errors.push(`Step "${s.id}" depends on step "${d}", which does not exist.`);
    }
    for (const ref of referencesIn(s.input)) {
      if (!ids.has(ref)) errors.push(`Step "${s.id}" uses the output of step "${ref}", which does not exist.`);
      else if (ref !== s.id && !s.dependsOn.includes(ref)) errors.push(`Step "${s.id}" uses the output of step "${ref}" but does not depend on it: add "${ref}" to its dependsOn.`);
      else if (ref === s.id) errors.push(`Step "${s.id}" uses its own output.`);
    }
  }
  const cycle = findCycle(steps);
  if (cycle) errors.push(`The plan has a dependency cycle: ${cycle.join(' → ')} (each step depends on the next).`);
  return errors.length ? { ok: false, errors, steps } : { ok: true, steps };
}

/** A dependency cycle as a path — each step depends on the next; the first is repeated at the end — or null. */
export function findCycle(steps: readonly Pick<PlanStep, 'id' | 'dependsOn'>[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn.filter((d) => d !== s.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done' || !deps.has(id)) return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const d of deps.get(id)!) {
      const found = visit(d);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return null;
}

/** Steps in an order where every step comes after the steps it depends on (the plan must be acyclic). */
export function topologicalOrder<T extends Pick<PlanStep, 'id' | 'dependsOn'>>(steps: readonly T[]): T[] {
  const done = new Set<string>();
  const out: T[] = [];
  let remaining = [...steps];
  while (remaining.length) {
    const ready = remaining.filter((s) => s.dependsOn.every((d) => done.has(d)));
    if (!ready.length) throw new Error('topologicalOrder: the plan has a cycle');
    for (const s of ready) {
      out.push(s);
      done.add(s.id);
    }
    remaining = remaining.filter((s) => !done.has(s.id));
  }
  return out;
}

/** A step's input with each {{steps.<id>.output}} replaced by that step's output. */
export function substituteOutputs(input: string, outputs: ReadonlyMap<string, string>): string {
  return input.replace(REFERENCE, (whole, id: string) => outputs.get(id) ?? whole);
}
