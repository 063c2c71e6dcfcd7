// Missions at run time. An approved plan becomes a mission run (kind `mission`) whose BullMQ flow parent job
// (`finish-mission`) has one child job per step (`execute-run`, job id = the step's run id). Steps whose
// dependencies are not finished wait parked (their job delayed); when a step ends, the steps that depended on it
// are woken, and the executor's gate decides: run (earlier outputs substituted into the input), wait again, or
// skip (a dependency did not succeed). The parent job runs when every child job is done and finishes the mission
// run with a compare-and-set, so it ends exactly once. Postgres stays the source of truth: the reconciler repeats
// each of these steps for missions a crash or a Redis flush left behind. See docs/missions.md.
import type { FailurePolicy, PlanStep, Run, RunStatus } from '@vaultrun/db';
import type { CopilotReply } from '@vaultrun/providers';
import type { DataSource, EntityManager } from 'typeorm';
import type { RunBus } from '../runs/bus.js';
import { transitionRun } from '../runs/store.js';
import { checkPlan, substituteOutputs } from './plan.js';

/** How long a step waiting for its dependencies stays parked before its job checks again (a lost wake-up's bound). */
export const STEP_PARK_MS = 60_000;

const FINAL: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'blocked'];
const isFinalStatus = (s: string) => FINAL.includes(s as RunStatus);

/** What the engine needs from the queue (the API and the worker each provide it). */
export interface MissionJobs {
  /** Makes the parked jobs of these step runs runnable now (a missing job is added again). */
  wake(runIds: string[]): Promise<void>;
  /** Removes the jobs of runs cancelled before they started. */
  remove(runIds: string[]): Promise<void>;
}

/** What the engine tells consoles and workers (the API bounds each call: a request never waits on Redis). */
export type MissionBus = Pick<RunBus, 'changed' | 'cancel'>;

export type StepGate = { decision: 'run'; input: string } | { decision: 'wait' } | { decision: 'skip'; reason: string };

interface StepRow {
  id: string;
  plan_step: string;
  status: RunStatus;
  output: string | null;
  error_code: string | null;
  error_message: string | null;
  status_reason: string | null;
  blocked_budget_id: string | null;
  budget_name: string | null;
}

interface MissionRunState {
  missionRun: { id: string; workspace_id: string; status: RunStatus; mission_id: string };
  policy: FailurePolicy;
  planSteps: PlanStep[];
  steps: StepRow[];
}

/** The row of MissionEngine.state's query: the mission run, its plan, and its step runs aggregated as JSON. */
interface MissionStateRow {
  id: string;
  workspace_id: string;
  status: RunStatus;
  mission_id: string;
  failure_policy: FailurePolicy;
  steps: PlanStep[];
  steps_json: StepRow[];
}

/** The row of recordCopilotAnswer's query: a copilot run and whether its answer is already recorded. */
interface CopilotRunRow {
  id: string;
  workspace_id: string;
  mission_id: string;
  status: RunStatus;
  output_json: CopilotReply | null;
  error_message: string | null;
  status_reason: string | null;
  answered: boolean;
}

const STATUS_WORDS: Partial<Record<RunStatus, string>> = { failed: 'failed', cancelled: 'was cancelled', blocked: 'was blocked' };

/** "step "write" was blocked by budget "Team monthly": …" — what the mission says about a step that did not succeed. */
export function stepProblem(s: Pick<StepRow, 'plan_step' | 'status' | 'error_message' | 'status_reason' | 'budget_name' | 'blocked_budget_id'>): string {
  const why = (s.status_reason ?? s.error_message ?? '').replace(/\.+$/, '');
  if (s.status === 'blocked' && s.blocked_budget_id) return `step "${s.plan_step}" was blocked by budget "${s.budget_name ?? 'deleted budget'}": ${why}`;
  return `step "${s.plan_step}" ${STATUS_WORDS[s.status] ?? s.status}${why ? `: ${why}` : ''}`;
}

export class MissionEngine {
  constructor(private readonly deps: { db: DataSource; bus: MissionBus; jobs: MissionJobs }) {}

  /** The mission run, its plan's policy and steps, and the state of every step run: one query. */
  private async state(db: DataSource | EntityManager, missionRunId: string): Promise<MissionRunState | null> {
    const rows: MissionStateRow[] = await db.query(
      `SELECT mr.id, mr.workspace_id, mr.status, mr.mission_id, p.failure_policy, p.steps,
              COALESCE((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'plan_step', c.plan_step, 'status', c.status, 'output', c.output,
                          'error_code', c.error_code, 'error_message', c.error_message, 'status_reason', c.status_reason,
                          'blocked_budget_id', c.blocked_budget_id, 'budget_name', b.name))
                          FROM runs c LEFT JOIN budgets b ON b.id = c.blocked_budget_id WHERE c.parent_run_id = mr.id), '[]'::jsonb) AS steps_json
         FROM runs mr JOIN mission_plans p ON p.mission_run_id = mr.id
        WHERE mr.id = $1 AND mr.kind = 'mission'`,
      [missionRunId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      missionRun: { id: r.id, workspace_id: r.workspace_id, status: r.status, mission_id: r.mission_id },
      policy: r.failure_policy,
      planSteps: r.steps,
      steps: r.steps_json,
    };
  }

  /**
   * The executor asks before running a step: are its dependencies done? Run (with their outputs substituted
   * into its input), wait (parked until woken), or skip (a dependency did not succeed, or the mission ended).
   */
  async gate(run: Pick<Run, 'id' | 'parentRunId' | 'planStep' | 'input'>): Promise<StepGate> {
    const state = await this.state(this.deps.db, run.parentRunId!);
    if (!state) return { decision: 'skip', reason: 'Skipped: its mission run no longer exists.' };
    if (isFinalStatus(state.missionRun.status)) return { decision: 'skip', reason: `Skipped: the mission run ${state.missionRun.status === 'cancelled' ? 'was cancelled' : 'already ended'}.` };
    const plan = state.planSteps.find((s) => s.id === run.planStep);
    if (!plan) return { decision: 'skip', reason: `Skipped: step "${run.planStep}" is not in the approved plan.` };
    const byStep = new Map(state.steps.map((s) => [s.plan_step, s]));
    const deps = plan.dependsOn.map((d) => byStep.get(d));
    const broken = deps.find((d) => d && isFinalStatus(d.status) && d.status !== 'succeeded');
    if (broken) return { decision: 'skip', reason: `Skipped: ${stepProblem(broken)}` };
    if (deps.some((d) => !d || d.status !== 'succeeded')) return { decision: 'wait' };
    return { decision: 'run', input: substituteOutputs(plan.input, new Map(deps.map((d) => [d!.plan_step, d!.output ?? '']))) };
  }

  /** A step the gate skipped: it ends cancelled, saying why (its dependents will be skipped in turn). */
  async skip(run: Pick<Run, 'id' | 'workspaceId' | 'parentRunId' | 'missionId'>, reason: string): Promise<boolean> {
    const res = await transitionRun(this.deps.db, run.id, ['queued', 'waiting'], 'cancelled', { error_code: 'step_skipped', error_message: reason, status_reason: reason, finished_at: new Date() }, { message: reason });
    if (res.from) await this.deps.bus.changed({ id: run.id, workspaceId: run.workspaceId, status: 'cancelled', kind: 'operator', statusReason: reason, missionId: run.missionId });
    return !!res.from;
  }

  /**
   * After a step ended: under "stop at first failure", a step that did not succeed cancels every other step
   * still to finish; then the steps that were waiting on it are woken (their gate runs, or skips, them).
   */
  async stepEnded(missionRunId: string): Promise<number> {
    const state = await this.state(this.deps.db, missionRunId);
    if (!state) return 0;
    const failure = state.steps.find((s) => isFinalStatus(s.status) && s.status !== 'succeeded' && s.error_code !== 'step_skipped' && s.error_code !== 'mission_stopped');
    if (failure && state.policy === 'stop' && !isFinalStatus(state.missionRun.status)) {
      await this.cancelSteps(state, `Cancelled: ${stepProblem(failure)} — the plan stops at the first failure.`, 'mission_stopped');
      return 0;
    }
    return this.wakeReady(state);
  }

  /** Wakes the queued steps whose dependencies have all ended (their gate decides what happens next). */
  private async wakeReady(state: MissionRunState): Promise<number> {
    const byStep = new Map(state.steps.map((s) => [s.plan_step, s]));
    const ready = state.planSteps
      .filter((p) => byStep.get(p.id)?.status === 'queued' && p.dependsOn.length > 0 && p.dependsOn.every((d) => isFinalStatus(byStep.get(d)?.status ?? 'queued')))
      .map((p) => byStep.get(p.id)!.id);
    if (ready.length) await this.deps.jobs.wake(ready);
    return ready.length;
  }

  private async cancelSteps(state: MissionRunState, reason: string, code: string): Promise<void> {
    const removable: string[] = [];
    for (const s of state.steps.filter((c) => !isFinalStatus(c.status))) {
      const res = await transitionRun(this.deps.db, s.id, ['queued', 'waiting', 'running'], 'cancelled', { error_code: code, error_message: reason, status_reason: reason, finished_at: new Date() }, { message: reason });
      if (!res.from) continue;
      if (res.from === 'running') await this.deps.bus.cancel(s.id);
      else removable.push(s.id);
      await this.deps.bus.changed({ id: s.id, workspaceId: state.missionRun.workspace_id, status: 'cancelled', kind: 'operator', statusReason: reason, missionId: state.missionRun.mission_id });
    }
    // Removing a child job releases the flow parent once no child is left.
    if (removable.length) await this.deps.jobs.remove(removable);
  }

  /**
   * The flow parent's job (and the reconciler): once every step has ended, the mission run ends — succeeded when
   * every step did, failed otherwise, saying which step and why. A compare-and-set: it ends once.
   */
  async finish(missionRunId: string): Promise<'finished' | 'pending' | 'already'> {
    const state = await this.state(this.deps.db, missionRunId);
    if (!state || isFinalStatus(state.missionRun.status)) return 'already';
    if (state.steps.some((s) => !isFinalStatus(s.status))) return 'pending';
    const succeeded = state.steps.filter((s) => s.status === 'succeeded').length;
    const first = state.steps.find((s) => s.status !== 'succeeded' && s.error_code !== 'step_skipped' && s.error_code !== 'mission_stopped') ?? state.steps.find((s) => s.status !== 'succeeded');
    const status: RunStatus = first ? 'failed' : 'succeeded';
    const summary = `${succeeded} of ${state.steps.length} step${state.steps.length > 1 ? 's' : ''} succeeded${first ? `; ${stepProblem(first)}` : ''}.`;
    const patch = first
      ? { status_reason: summary, error_code: first.status === 'blocked' ? first.error_code : 'step_failed', error_message: summary, blocked_budget_id: first.blocked_budget_id, finished_at: new Date() }
      : { status_reason: summary, output: summary, finished_at: new Date() };
    const ended = await transitionRun(this.deps.db, missionRunId, ['running', 'queued'], status, patch, { message: summary, data: first ? { step: first.plan_step, runId: first.id } : {} });
    if (!ended.from) return 'already';
    await this.deps.bus.changed({ id: missionRunId, workspaceId: state.missionRun.workspace_id, status, kind: 'mission', accountId: null, statusReason: summary, missionId: state.missionRun.mission_id });
    return 'finished';
  }

  /** Cancels a mission run and every step still to finish (running calls are aborted). */
  async cancel(missionRunId: string, who: string): Promise<boolean> {
    const reason = `Cancelled by ${who}`;
    const cancelled = await transitionRun(this.deps.db, missionRunId, ['queued', 'waiting', 'running'], 'cancelled', { error_code: 'cancelled', error_message: reason, status_reason: reason, finished_at: new Date() }, { message: reason });
    if (!cancelled.from) return false;
    const state = await this.state(this.deps.db, missionRunId);
    if (state) await this.cancelSteps(state, `Cancelled with its mission by ${who}`, 'cancelled');
    await this.deps.bus.changed({ id: missionRunId, workspaceId: cancelled.workspaceId!, status: 'cancelled', kind: 'mission', accountId: null, statusReason: reason, missionId: state?.missionRun.mission_id ?? null });
    return true;
  }

  /**
   * A copilot run ended: its answer becomes the mission's next assistant message, with the plan it proposed
   * (checked against the workspace's operators: an invalid plan is kept with its errors and can never run).
   * Idempotent: one answer per copilot run.
   */
  async recordCopilotAnswer(runId: string): Promise<boolean> {
    const recorded = await this.deps.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('vaultrun:copilot-answer'), hashtext($1))`, [runId]);
      const rows: CopilotRunRow[] = await m.query(
        `SELECT r.id, r.workspace_id, r.mission_id, r.status, r.output_json, r.error_message, r.status_reason,
                EXISTS (SELECT 1 FROM mission_messages mm WHERE mm.copilot_run_id = r.id AND mm.role = 'assistant') AS answered
           FROM runs r WHERE r.id = $1 AND r.kind = 'copilot' AND r.mission_id IS NOT NULL`,
        [runId],
      );
      const r = rows[0];
      if (!r || r.answered || !isFinalStatus(r.status)) return null;
      let content: string;
      let planId: string | null = null;
      if (r.status === 'succeeded') {
        // A succeeded copilot run's output was validated against COPILOT_REPLY_SCHEMA.
        const reply = r.output_json!;
        content = reply.reply;
        if (reply.plan) {
          const operators: { id: string; name: string }[] = await m.query(`SELECT id, name FROM operators WHERE workspace_id = $1`, [r.workspace_id]);
          const check = checkPlan(reply.plan, operators);
          await m.query(`UPDATE mission_plans SET status = 'superseded' WHERE mission_id = $1 AND status = 'proposed'`, [r.mission_id]);
          const [plan] = (await m.query(
            `INSERT INTO mission_plans (workspace_id, mission_id, title, failure_policy, steps, status, errors, created_by_type)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, 'copilot') RETURNING id`,
            [
              r.workspace_id,
              r.mission_id,
              String(reply.plan.title ?? '').slice(0, 200),
              reply.plan.failurePolicy === 'continue' ? 'continue' : 'stop',
              JSON.stringify(check.steps),
              check.ok ? 'proposed' : 'invalid',
              check.ok ? null : JSON.stringify(check.errors),
            ],
          )) as { id: string }[];
          planId = plan!.id;
          if (!check.ok) content += `\n\nThis plan cannot run: ${check.errors.join(' ')}`;
        }
      } else {
        content = `The Copilot could not answer: ${r.status_reason ?? r.error_message ?? r.status}`;
      }
      await m.query(
        `INSERT INTO mission_messages (workspace_id, mission_id, role, content, copilot_run_id, plan_id) VALUES ($1, $2, 'assistant', $3, $4, $5)`,
        [r.workspace_id, r.mission_id, content, runId, planId],
      );
      await m.query(`UPDATE missions SET updated_at = now() WHERE id = $1`, [r.mission_id]);
      return { workspaceId: r.workspace_id, status: r.status, missionId: r.mission_id };
    });
    // The run's change was announced before its answer existed: announce again so consoles read the answer.
    if (recorded) await this.deps.bus.changed({ id: runId, workspaceId: recorded.workspaceId, status: recorded.status, kind: 'copilot', missionId: recorded.missionId });
    return !!recorded;
  }

  /**
   * What a crash or a Redis flush may have left: copilot answers not recorded, steps not woken, a stop policy not
   * applied, missions whose steps have all ended but that did not finish. Safe to repeat.
   */
  async reconcile(limit = 100): Promise<{ answers: number; woken: number; finished: number }> {
    const { db } = this.deps;
    let answers = 0;
    const copilot: { id: string }[] = await db.query(
      `SELECT r.id FROM runs r WHERE r.kind = 'copilot' AND r.status IN ('succeeded', 'failed', 'cancelled', 'blocked') AND r.mission_id IS NOT NULL
          AND r.finished_at > now() - interval '1 day' AND r.updated_at < now() - interval '5 seconds'
          AND NOT EXISTS (SELECT 1 FROM mission_messages mm WHERE mm.copilot_run_id = r.id AND mm.role = 'assistant') LIMIT $1`,
      [limit],
    );
    for (const { id } of copilot) if (await this.recordCopilotAnswer(id)) answers++;
    let woken = 0;
    let finished = 0;
    const missions: { id: string }[] = await db.query(`SELECT id FROM runs WHERE kind = 'mission' AND status = 'running' AND updated_at < now() - interval '5 seconds' ORDER BY updated_at LIMIT $1`, [limit]);
    for (const { id } of missions) {
      woken += await this.stepEnded(id);
      if ((await this.finish(id)) === 'finished') finished++;
    }
    return { answers, woken, finished };
  }
}
