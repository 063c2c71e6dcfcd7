// Every read and write of the mission tables (missions, mission_messages, mission_plans), in one place: each SQL
// statement declares its row type here and maps it here; the rest goes through TypeORM entities. What missions read
// from the rest of the workspace is in mission-workspace.store.ts, the runs they write in mission-runs.store.ts.
import { Mission, MissionMessage, MissionPlan, type MissionStatus, type PlanStep } from '@vaultrun/db';
import { assistantTurnText, type Turn } from '@vaultrun/engine';
import { NotFound } from '@vaultrun/vault-core';
import type { DataSource, EntityManager } from 'typeorm';
import type { Cursor } from '../../common/pagination.js';

type Db = DataSource | EntityManager;

// ---- missions -----------------------------------------------------------------------------------------------

/** A mission with its status, derived from its current mission run (so the two can never disagree). */
export interface MissionView {
  id: string;
  title: string;
  goal: string;
  status: MissionStatus;
  currentRunId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface MissionRow {
  id: string;
  title: string;
  goal: string;
  status: MissionStatus;
  current_run_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const MISSION_SELECT = `SELECT m.id, m.title, m.goal, m.current_run_id, m.created_at, m.updated_at,
       CASE WHEN cr.id IS NULL THEN 'open' WHEN cr.status IN ('queued', 'waiting', 'running') THEN 'running' ELSE cr.status END AS status
  FROM missions m LEFT JOIN runs cr ON cr.id = m.current_run_id`;

const missionOf = (r: MissionRow): MissionView => ({
  id: r.id,
  title: r.title,
  goal: r.goal,
  status: r.status,
  currentRunId: r.current_run_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The workspace's mission, or 404; `lock` holds it (FOR UPDATE) until the transaction ends. */
export async function findMission(db: Db, workspaceId: string, missionId: string, lock = false): Promise<MissionView> {
  const [row] = (await db.query(`${MISSION_SELECT} WHERE m.id = $1 AND m.workspace_id = $2${lock ? ' FOR UPDATE OF m' : ''}`, [missionId, workspaceId])) as MissionRow[];
  if (!row) throw new NotFound('Mission');
  return missionOf(row);
}

/** A page of the workspace's missions, newest first. */
export async function listMissions(db: Db, workspaceId: string, cursor: Cursor | null, limit: number): Promise<MissionView[]> {
  const rows: MissionRow[] = await db.query(
    `${MISSION_SELECT} WHERE m.workspace_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2, $3::uuid)) ORDER BY m.created_at DESC, m.id DESC LIMIT $4`,
    [workspaceId, cursor?.createdAt ?? null, cursor?.id ?? null, limit],
  );
  return rows.map(missionOf);
}

export async function insertMission(db: Db, input: Pick<Mission, 'workspaceId' | 'title' | 'goal' | 'createdByType' | 'createdById'>): Promise<MissionView> {
  const saved = await db.getRepository(Mission).save(db.getRepository(Mission).create(input));
  return { id: saved.id, title: saved.title, goal: saved.goal, status: 'open', currentRunId: saved.currentRunId ?? null, createdAt: saved.createdAt, updatedAt: saved.updatedAt };
}

/** Something happened in the mission (a message, a plan run): it moves up the list. */
export async function touchMission(db: Db, missionId: string, currentRunId?: string): Promise<void> {
  await db.getRepository(Mission).update({ id: missionId }, { ...(currentRunId ? { currentRunId } : {}), updatedAt: () => 'now()' });
}

// ---- the conversation -----------------------------------------------------------------------------------------

export function missionMessages(db: Db, missionId: string): Promise<MissionMessage[]> {
  return db.getRepository(MissionMessage).find({ where: { missionId }, order: { createdAt: 'ASC', role: 'DESC' } });
}

export function messageWithKey(db: Db, missionId: string, idempotencyKey: string): Promise<MissionMessage | null> {
  return db.getRepository(MissionMessage).findOne({ where: { missionId, idempotencyKey } });
}

export function insertUserMessage(
  db: Db,
  input: Pick<MissionMessage, 'workspaceId' | 'missionId' | 'content' | 'authorType' | 'authorId' | 'copilotRunId' | 'idempotencyKey' | 'requestHash'>,
): Promise<MissionMessage> {
  return db.getRepository(MissionMessage).save(db.getRepository(MissionMessage).create({ ...input, role: 'user' }));
}

interface TurnRow {
  role: 'user' | 'assistant';
  content: string;
  title: string | null;
  failure_policy: string | null;
  steps: PlanStep[] | null;
}

/** The conversation so far, as the Copilot reads it (assistant turns carry the plan they proposed). */
export async function conversationTurns(db: Db, missionId: string): Promise<Turn[]> {
  const rows: TurnRow[] = await db.query(
    `SELECT mm.role, mm.content, p.title, p.failure_policy, p.steps FROM mission_messages mm LEFT JOIN mission_plans p ON p.id = mm.plan_id
      WHERE mm.mission_id = $1 ORDER BY mm.created_at, mm.role DESC`,
    [missionId],
  );
  return rows.map((r) => ({
    role: r.role,
    content:
      r.role === 'assistant' && r.steps
        ? assistantTurnText(r.content, { title: r.title, failurePolicy: r.failure_policy, steps: r.steps.map((s) => ({ id: s.id, operator: s.operatorName, input: s.input, dependsOn: s.dependsOn })) })
        : r.content,
  }));
}

// ---- plans ----------------------------------------------------------------------------------------------------

export function missionPlans(db: Db, missionId: string): Promise<MissionPlan[]> {
  return db.getRepository(MissionPlan).find({ where: { missionId }, order: { createdAt: 'ASC' } });
}

/** The mission's plan, locked until the transaction ends (approval decides on it once). */
export function lockPlan(m: EntityManager, missionId: string, planId: string): Promise<MissionPlan | null> {
  return m.getRepository(MissionPlan).findOne({ where: { id: planId, missionId }, lock: { mode: 'pessimistic_write' } });
}

export function planExists(db: Db, missionId: string, planId: string): Promise<boolean> {
  return db.getRepository(MissionPlan).exists({ where: { id: planId, missionId } });
}

/** A new proposal replaces the one still proposed (there is at most one). */
export async function proposePlan(
  m: EntityManager,
  input: Pick<MissionPlan, 'workspaceId' | 'missionId' | 'basedOnPlanId' | 'title' | 'failurePolicy' | 'steps' | 'createdByType' | 'createdById'>,
): Promise<MissionPlan> {
  await m.getRepository(MissionPlan).update({ missionId: input.missionId, status: 'proposed' }, { status: 'superseded' });
  return m.getRepository(MissionPlan).save(m.getRepository(MissionPlan).create({ ...input, status: 'proposed' }));
}
