import type { MissionDetailDto, MissionDto, MissionMessageDto, PlanDto } from '../../api/generated/types.gen.js';
import type { BadgeTone } from '../../lib/ui.js';
import { isFinal } from '../runs/run-labels.js';

export type MissionStatus = MissionDto['status'];
export type PlanStatus = PlanDto['status'];

const MISSION_STATUS: Record<MissionStatus, { label: string; tone: BadgeTone; help: string }> = {
  open: { label: 'Open', tone: 'grey', help: 'Talking with the Copilot; no plan is running' },
  running: { label: 'Running', tone: 'blue', help: 'An approved plan is running its steps' },
  succeeded: { label: 'Succeeded', tone: 'green', help: 'The last plan ran every step successfully' },
  failed: { label: 'Failed', tone: 'red', help: 'A step of the last plan failed or was blocked' },
  cancelled: { label: 'Cancelled', tone: 'grey', help: 'The last plan was cancelled' },
};

export function missionStatusLabel(status: MissionStatus): string {
  return MISSION_STATUS[status]?.label ?? status;
}

export function missionStatusTone(status: MissionStatus): BadgeTone {
  return MISSION_STATUS[status]?.tone ?? 'grey';
}

export function missionStatusHelp(status: MissionStatus): string {
  return MISSION_STATUS[status]?.help ?? '';
}

const PLAN_STATUS: Record<PlanStatus, { label: string; tone: BadgeTone; help: string }> = {
  proposed: { label: 'Awaiting approval', tone: 'amber', help: 'Nothing runs until someone approves it' },
  invalid: { label: 'Cannot run', tone: 'red', help: 'The plan has problems (listed below); edit it to propose a fixed one' },
  approved: { label: 'Approved', tone: 'green', help: 'Approved: its steps ran (or are running) as a mission run' },
  superseded: { label: 'Superseded', tone: 'grey', help: 'A newer plan replaced this one before it was approved' },
};

export function planStatusLabel(status: PlanStatus): string {
  return PLAN_STATUS[status]?.label ?? status;
}

export function planStatusTone(status: PlanStatus): BadgeTone {
  return PLAN_STATUS[status]?.tone ?? 'grey';
}

export function planStatusHelp(status: PlanStatus): string {
  return PLAN_STATUS[status]?.help ?? '';
}

export function planCreatorText(plan: PlanDto, plans: PlanDto[]): string {
  const base = plan.basedOnPlanId ? plans.findIndex((p) => p.id === plan.basedOnPlanId) : -1;
  const from = base >= 0 ? ` from plan ${base + 1}` : '';
  if (plan.createdBy === 'copilot') return 'Proposed by the Copilot';
  if (plan.createdBy === 'token') return `Proposed through the API${from}`;
  return plan.basedOnPlanId ? `Edited by a person${from}` : 'Written by a person';
}

export const FAILURE_POLICY_TEXT: Record<PlanDto['failurePolicy'], { label: string; help: string }> = {
  stop: { label: 'Stop at the first failure', help: 'A step that fails cancels every step still to run' },
  continue: { label: 'Continue independent steps', help: 'A step that fails skips only the steps that depend on it' },
};

/** Every run of the mission the page knows of: its copilot runs, the current mission run and its steps. */
export function missionRunIds(mission: MissionDetailDto): Set<string> {
  const ids = new Set<string>();
  for (const m of mission.messages) if (m.copilotRun) ids.add(m.copilotRun.id);
  if (mission.currentRunId) ids.add(mission.currentRunId);
  if (mission.currentRun) {
    ids.add(mission.currentRun.run.id);
    for (const s of mission.currentRun.steps) ids.add(s.run.id);
  }
  return ids;
}

/**
 * The Copilot's turns still to come: user messages whose copilot run has no assistant message yet. Once the run
 * ends the worker records the answer (an assistant message, even when the run failed), so these are short-lived.
 */
export function awaitingAnswers(messages: MissionMessageDto[]): MissionMessageDto[] {
  const answered = new Set(messages.filter((m) => m.role === 'assistant' && m.copilotRun).map((m) => m.copilotRun!.id));
  return messages.filter((m) => m.role === 'user' && m.copilotRun && !answered.has(m.copilotRun.id));
}

/** A copilot run that ended without succeeding (its answer says why). */
export function copilotRunFailed(status: string | undefined): boolean {
  return !!status && isFinal(status) && status !== 'succeeded';
}
