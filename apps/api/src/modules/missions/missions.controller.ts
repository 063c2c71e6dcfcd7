import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIdempotencyKey, IdempotencyKey } from '../../common/idempotency.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { CreateMissionDto, CreatePlanDto, ListMissionsQueryDto, MissionDetailDto, MissionDto, MissionPageDto, PlanDto, SendMessageDto, SentMessageDto } from './missions.dto.js';
import { MissionChatService } from './mission-chat.service.js';
import { MissionExecutionService } from './mission-execution.service.js';
import { MissionPlansService } from './mission-plans.service.js';
import { MissionsReadService } from './missions-read.service.js';

@ApiTags('missions')
@Controller('api/v1/missions')
export class MissionsController {
  constructor(
    private readonly read: MissionsReadService,
    private readonly chat: MissionChatService,
    private readonly plans: MissionPlansService,
    private readonly execution: MissionExecutionService,
  ) {}

  @Get()
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'listMissions', summary: 'Missions of the workspace, newest first (cursor paging)' })
  @ApiOkResponse({ type: MissionPageDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListMissionsQueryDto): Promise<MissionPageDto> {
    return this.read.list(ctx.workspaceId, query);
  }

  @Post()
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'createMission', summary: 'Start a mission: a goal and a conversation with the Copilot' })
  @ApiCreatedResponse({ type: MissionDto })
  @ApiProblems(400)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateMissionDto): Promise<MissionDto> {
    return this.chat.create(ctx, body);
  }

  @Get(':missionId')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'getMission', summary: 'A mission: its conversation, plans (with estimates and budget checks), current mission run and cost by label' })
  @ApiOkResponse({ type: MissionDetailDto })
  @ApiUuidParam('missionId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('missionId', UuidPipe) missionId: string): Promise<MissionDetailDto> {
    return this.read.get(ctx, missionId);
  }

  @Post(':missionId/messages')
  @HttpCode(202)
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'sendMissionMessage', summary: 'Say something to the Copilot: a copilot run (queued, 202) answers it' })
  @ApiIdempotencyKey('on the same mission returns the same message and copilot run')
  @ApiAcceptedResponse({ type: SentMessageDto })
  @ApiUuidParam('missionId')
  @ApiProblems(400, 402, 403, 404, 409, 422)
  async send(
    @Ctx() ctx: RequestContext,
    @Param('missionId', UuidPipe) missionId: string,
    @Body() body: SendMessageDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SentMessageDto> {
    const { sent, replayed } = await this.chat.sendMessage(ctx, missionId, body.content, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return sent;
  }

  @Post(':missionId/plans')
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'createMissionPlan', summary: 'Propose a plan yourself (e.g. an edit of the Copilot’s); an invalid plan is refused with every problem' })
  @ApiCreatedResponse({ type: PlanDto })
  @ApiUuidParam('missionId')
  @ApiProblems(400, 404)
  createPlan(@Ctx() ctx: RequestContext, @Param('missionId', UuidPipe) missionId: string, @Body() body: CreatePlanDto): Promise<PlanDto> {
    return this.plans.createPlan(ctx, missionId, body);
  }

  @Post(':missionId/plans/:planId/approve')
  @HttpCode(202)
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'approveMissionPlan', summary: 'Approve a proposed plan: starts a mission run (a BullMQ flow of the step runs)' })
  @ApiAcceptedResponse({ type: MissionDetailDto })
  @ApiUuidParam('missionId')
  @ApiUuidParam('planId')
  @ApiProblems(400, 403, 404, 409, 422)
  approve(@Ctx() ctx: RequestContext, @Param('missionId', UuidPipe) missionId: string, @Param('planId', UuidPipe) planId: string): Promise<MissionDetailDto> {
    return this.execution.approve(ctx, missionId, planId);
  }

  @Post(':missionId/cancel')
  @HttpCode(200)
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'cancelMission', summary: 'Cancel the running mission run and every step still to finish' })
  @ApiOkResponse({ type: MissionDetailDto })
  @ApiUuidParam('missionId')
  @ApiProblems(400, 404, 409)
  cancel(@Ctx() ctx: RequestContext, @Param('missionId', UuidPipe) missionId: string): Promise<MissionDetailDto> {
    return this.execution.cancel(ctx, missionId);
  }
}
