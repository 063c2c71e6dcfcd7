// The runs missions write (copilot runs, mission runs, their step runs) and read back. Runs are the run engine's
// rows: read through RUN_SELECT (or RETURNING *) and mapped by the run mappers, never by hand.
import type { Operator, PlanStep, Run } from '@vaultrun/db';
import { type RunRow, runFromRow, type Turn } from '@vaultrun/engine';
import type { DataSource, EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/principal.js';
import { RUN_SELECT, type RunView, runViewFromRow, type RunViewRow } from '../runs/run-view.js';
import { type AccountViewer, positional, runVisibleSql } from '../vault/visibility.js';

type Db = DataSource | EntityManager;

/** A run of the workspace with the names people need next to it (RUN_SELECT). */
export async function runView(db: Db, workspaceId: string, runId: string): Promise<RunView | null> {
  const [row] = (await db.query(`${RUN_SELECT} WHERE r.id = $1 AND r.workspace_id = $2`, [runId, workspaceId])) as RunViewRow[];
  return row ? runViewFromRow(row) : null;
}

/** The mission's runs (copilot, mission and step runs) the viewer may see, oldest first. */
export async function missionRunViews(db: Db, workspaceId: string, missionId: string, viewer: AccountViewer): Promise<RunView[]> {
  const params: unknown[] = [workspaceId, missionId];
  const visible = runVisibleSql('r', viewer, positional(params));
  const rows: RunViewRow[] = await db.query(`${RUN_SELECT} WHERE r.workspace_id = $1 AND r.mission_id = $2 AND ${visible} ORDER BY r.created_at`, params);
  return rows.map(runViewFromRow);
}

/** A copilot run, queued, with its `queued` event. */
export async function insertCopilotRun(
  m: EntityManager,
  ctx: Pick<RequestContext, 'workspaceId' | 'requestId'>,
  run: {
    missionId: string;
    startedBy: ['user' | 'token', string];
    account: { id: string; name: string };
    model: string;
    instructions: string;
    input: string;
    history: Turn[];
    maxOutputTokens: number;
    outputSchema: Record<string, unknown>;
    maxAttempts: number;
    estimateMicroUsd: number | null;
  },
): Promise<Run> {
  const [row] = (await m.query(
    `INSERT INTO runs (workspace_id, kind, mission_id, started_by_type, started_by_id, account_id, model, instructions, input, history, max_output_tokens,
                       output_schema, status, max_attempts, request_id, queued_at, estimate_micro_usd)
     VALUES ($1, 'copilot', $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb, 'queued', $12, $13, now(), $14) RETURNING *`,
    [
      ctx.workspaceId,
      run.missionId,
      run.startedBy[0],
      run.startedBy[1],
      run.account.id,
      run.model,
      run.instructions,
      run.input,
      JSON.stringify(run.history),
      run.maxOutputTokens,
      JSON.stringify(run.outputSchema),
      run.maxAttempts,
      ctx.requestId,
      run.estimateMicroUsd,
    ],
  )) as RunRow[];
  const inserted = runFromRow(row!);
  await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'queued', $3)`, [inserted.id, ctx.workspaceId, `Copilot queued on ${run.account.name} (${run.model})`]);
  return inserted;
}

/** The mission run of an approved plan: it calls no provider and has no account; it is `running` from the start. */
export async function insertMissionRun(
  m: EntityManager,
  ctx: Pick<RequestContext, 'workspaceId' | 'requestId'>,
  run: { missionId: string; startedBy: ['user' | 'token', string]; title: string; steps: number },
): Promise<string> {
  const [row] = (await m.query(
    `INSERT INTO runs (workspace_id, kind, mission_id, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status, max_attempts,
                       request_id, queued_at, started_at, status_reason)
     VALUES ($1, 'mission', $2, $3, $4, NULL, '', $5, 1, 'running', 1, $6, now(), now(), $7) RETURNING id`,
    [ctx.workspaceId, run.missionId, run.startedBy[0], run.startedBy[1], run.title, ctx.requestId, `Running ${run.steps} step${run.steps > 1 ? 's' : ''}`],
  )) as { id: string }[];
  await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'running', $3)`, [row!.id, ctx.workspaceId, `Plan approved: ${run.steps} steps`]);
  return row!.id;
}

/** One step of a mission run: an operator run, queued, its input still a template (the gate fills it in). */
export async function insertStepRun(
  m: EntityManager,
  ctx: Pick<RequestContext, 'workspaceId' | 'requestId'>,
  step: {
    missionId: string;
    missionRunId: string;
    step: PlanStep;
    startedBy: ['user' | 'token', string];
    operator: Operator;
    account: { id: string; name: string };
    model: string;
    maxAttempts: number;
  },
): Promise<string> {
  const { step: s, operator } = step;
  const [row] = (await m.query(
    `INSERT INTO runs (workspace_id, kind, operator_id, parent_run_id, mission_id, plan_step, started_by_type, started_by_id, account_id, model, instructions, input,
                       temperature, max_output_tokens, output_schema, status, status_reason, max_attempts, request_id, queued_at, cost_cap_micro_usd)
     VALUES ($1, 'operator', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, 'queued', $15, $16, $17, now(), $18) RETURNING id`,
    [
      ctx.workspaceId,
      operator.id,
      step.missionRunId,
      step.missionId,
      s.id,
      step.startedBy[0],
      step.startedBy[1],
      step.account.id,
      step.model,
      operator.instructions,
      s.input,
      operator.temperature,
      operator.maxOutputTokens,
      operator.outputSchema ? JSON.stringify(operator.outputSchema) : null,
      s.dependsOn.length ? `Waits for step${s.dependsOn.length > 1 ? 's' : ''} ${s.dependsOn.map((d) => `"${d}"`).join(', ')}` : null,
      step.maxAttempts,
      ctx.requestId,
      operator.costCapMicroUsd,
    ],
  )) as { id: string }[];
  await m.query(`INSERT INTO run_events (run_id, workspace_id, type, message) VALUES ($1, $2, 'queued', $3)`, [row!.id, ctx.workspaceId, `Step "${s.id}" queued on ${step.account.name} (${step.model})`]);
  return row!.id;
}
