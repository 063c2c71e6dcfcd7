import type { MissionMessage, MissionPlan } from '@vaultrun/db';
import type { RunDto } from '../runs/runs.dto.js';
import type { RunView } from '../runs/run-view.js';
import type { MessageRunDto, MissionDto, MissionMessageDto, PlanDto, PlanEstimateDto, SentMessageDto } from './missions.dto.js';
import type { MissionView } from './missions.store.js';

export function missionDto(m: MissionView): MissionDto {
  return {
    id: m.id,
    title: m.title,
    goal: m.goal,
    status: m.status,
    currentRunId: m.currentRunId,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

const messageRunDto = (run: MessageRunDto): MessageRunDto => ({ id: run.id, status: run.status, statusReason: run.statusReason });

/** A message of the conversation, with the state of the copilot run it started (or that wrote it) when shown. */
export function messageDto(message: MissionMessage, copilotRun: RunView | undefined): MissionMessageDto {
  return {
    id: message.id,
    role: message.role,
    content: message.content,
    copilotRun: copilotRun ? messageRunDto(copilotRun) : null,
    planId: message.planId,
    createdAt: message.createdAt.toISOString(),
  };
}

/** A user's message as POST …/messages answers it: the message and the copilot run that answers it. */
export function sentMessageDto(message: MissionMessage, run: RunDto): SentMessageDto {
  return {
    message: { id: message.id, role: 'user', content: message.content, copilotRun: messageRunDto(run), planId: null, createdAt: message.createdAt.toISOString() },
    run,
  };
}

/** `estimate`: a proposed plan's (null for any other). */
export function planDto(p: MissionPlan, estimate: PlanEstimateDto | null): PlanDto {
  return {
    id: p.id,
    title: p.title,
    failurePolicy: p.failurePolicy,
    status: p.status,
    errors: p.errors ?? null,
    steps: p.steps,
    createdBy: p.createdByType ?? 'copilot',
    basedOnPlanId: p.basedOnPlanId ?? null,
    missionRunId: p.missionRunId ?? null,
    estimate,
    createdAt: p.createdAt.toISOString(),
  };
}
