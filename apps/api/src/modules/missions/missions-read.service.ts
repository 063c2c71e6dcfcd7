import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { MissionMessage } from '@vaultrun/db';
import type { CostLabel } from '@vaultrun/money';
import type { DataSource } from 'typeorm';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import type { RequestContext } from '../auth/principal.js';
import { addToSplit, emptySplit } from '../money/spend.service.js';
import { type RunView, toDto as runDto } from '../runs/run-view.js';
import { accountViewer, listedViewer } from '../vault/visibility.js';
import { missionRunViews } from './mission-runs.store.js';
import { copilotSetting } from './mission-workspace.store.js';
import { findMission, listMissions, missionMessages, missionPlans } from './missions.store.js';
import type { ListMissionsQueryDto, MissionDetailDto, MissionPageDto } from './missions.dto.js';
import { messageDto, missionDto } from './missions.mapper.js';
import { MissionPlansService } from './mission-plans.service.js';

/** What the cost of these runs adds up to, split by label. */
function costOf(runs: RunView[]) {
  const split = emptySplit();
  for (const r of runs) if (r.costLabel) addToSplit(split, r.costLabel as CostLabel, 1, r.costMicroUsd);
  return split;
}

/** Missions as people read them: the list, and one mission with its conversation, plans, current run and cost. */
@Injectable()
export class MissionsReadService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly plans: MissionPlansService,
  ) {}

  async list(workspaceId: string, query: ListMissionsQueryDto): Promise<MissionPageDto> {
    const limit = query.limit ?? 50;
    const missions = await listMissions(this.db, workspaceId, decodeCursor(query.cursor), limit);
    return { items: missions.map(missionDto), nextCursor: nextCursorOf(missions, limit) };
  }

  /**
   * A mission as the caller may see it. The mission, its people's messages and their plans are the workspace's;
   * what runs made is shown only where the caller may see the run's account (../vault/visibility.ts): step runs
   * and copilot runs on other accounts are left out — and with a hidden copilot run, the answer it wrote and the
   * plan it proposed — and every cost figure counts only the runs shown.
   */
  async get(ctx: RequestContext, missionId: string): Promise<MissionDetailDto> {
    // One snapshot: the worker records a Copilot answer (its message, its plan, its run's end) in one transaction, and
    // reads spread over several snapshots could show the answer without its plan.
    const { mission, allMessages, allPlans, runs, copilot } = await this.db.transaction('REPEATABLE READ', async (m) => {
      const found = await findMission(m, ctx.workspaceId, missionId);
      return {
        mission: found,
        allMessages: await missionMessages(m, missionId),
        allPlans: await missionPlans(m, missionId),
        runs: await missionRunViews(m, ctx.workspaceId, missionId, accountViewer(ctx.principal)),
        copilot: await copilotSetting(m, ctx.workspaceId, listedViewer(ctx.principal)),
      };
    });
    const byId = new Map(runs.map((r) => [r.id, r]));
    const hiddenAnswer = (msg: MissionMessage) => msg.role === 'assistant' && msg.copilotRunId !== null && !byId.has(msg.copilotRunId);
    const hiddenPlans = new Set(allMessages.filter(hiddenAnswer).flatMap((msg) => (msg.planId ? [msg.planId] : [])));
    const messages = allMessages.filter((msg) => !hiddenAnswer(msg));
    const plans = allPlans.filter((p) => !hiddenPlans.has(p.id));
    const copilotShown = copilot.account && (copilot.account.usable || ctx.principal.permissions.has('vault:manage')) ? copilot.account : null;

    const current = mission.currentRunId ? byId.get(mission.currentRunId) : undefined;
    const currentPlan = current ? plans.find((p) => p.missionRunId === current.id) : undefined;
    let currentRun: MissionDetailDto['currentRun'] = null;
    if (current && currentPlan) {
      const stepRuns = runs.filter((r) => r.parentRunId === current.id);
      currentRun = {
        run: runDto(current),
        steps: currentPlan.steps.flatMap((p) => {
          const r = stepRuns.find((s) => s.planStep === p.id);
          return r ? [{ stepId: p.id, dependsOn: p.dependsOn, run: runDto(r) }] : [];
        }),
        cost: costOf(stepRuns),
      };
    }
    return {
      ...missionDto(mission),
      copilot: { accountId: copilotShown?.id ?? null, accountName: copilotShown?.name ?? null, model: copilot.model },
      messages: messages.map((msg) => messageDto(msg, msg.copilotRunId ? byId.get(msg.copilotRunId) : undefined)),
      plans: await this.plans.planDtos(ctx, plans),
      currentRun,
      cost: costOf(runs),
    };
  }
}
