import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, Sse } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { ApiIdempotencyKey, IdempotencyKey } from '../../common/idempotency.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { RunStreamService, type SseMessage } from './run-stream.service.js';
import { CreateRunDto, ListRunsQueryDto, QueueHealthDto, RunChangeDto, RunDetailDto, RunDto, RunPageDto } from './runs.dto.js';
import { QueueHealthService } from './queue-health.service.js';
import { RunAdmissionService } from './run-admission.service.js';
import { RunCancellationService } from './run-cancellation.service.js';
import { RunsService } from './runs.service.js';

@ApiTags('runs')
@Controller('api/v1')
export class RunsController {
  constructor(
    private readonly admission: RunAdmissionService,
    private readonly runs: RunsService,
    private readonly cancellation: RunCancellationService,
    private readonly queue: QueueHealthService,
    private readonly stream: RunStreamService,
  ) {}

  @Post('runs')
  @HttpCode(202)
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'createRun', summary: 'Start a run of an operator: queued at once (202), executed by a worker; refused at once (402/422) when a budget or the cost cap would block it' })
  @ApiIdempotencyKey('in the same workspace returns the same run')
  @ApiAcceptedResponse({ type: RunDto })
  @ApiProblems(400, 402, 404, 409, 422)
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: CreateRunDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunDto> {
    const { run, replayed } = await this.admission.create(ctx, body, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    void reply.header('location', `/api/v1/runs/${run.id}`);
    return run;
  }

  @Get('runs')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'listRuns', summary: 'Runs, newest first (filters: status, kind, operator, account, time; cursor paging)' })
  @ApiOkResponse({ type: RunPageDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListRunsQueryDto): Promise<RunPageDto> {
    return this.runs.list(ctx, query);
  }

  @Sse('runs/stream')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'streamRuns', summary: 'Server-sent events: every change of a run you may see in the workspace (event "run"), and a heartbeat every 15 s' })
  @ApiExtraModels(RunChangeDto)
  @ApiOkResponse({
    description: 'An event stream: `event: run` with a RunChange as `data`, and `event: heartbeat` every 15 s',
    content: { 'text/event-stream': { schema: { $ref: getSchemaPath(RunChangeDto) } } },
  })
  streamRuns(@Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): Observable<SseMessage> {
    // Tell proxies (nginx) not to buffer the stream.
    void reply.header('x-accel-buffering', 'no');
    return this.stream.stream(ctx);
  }

  @Get('runs/:runId')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'getRun', summary: 'One run with its event timeline' })
  @ApiOkResponse({ type: RunDetailDto })
  @ApiUuidParam('runId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('runId', UuidPipe) runId: string): Promise<RunDetailDto> {
    return this.runs.get(ctx, runId);
  }

  @Post('runs/:runId/cancel')
  @HttpCode(200)
  @RequirePermission('runs:create')
  @ApiOperation({ operationId: 'cancelRun', summary: 'Cancel a run in any non-final state (a running provider call is aborted)' })
  @ApiOkResponse({ type: RunDetailDto })
  @ApiUuidParam('runId')
  @ApiProblems(400, 404, 409)
  cancel(@Ctx() ctx: RequestContext, @Param('runId', UuidPipe) runId: string): Promise<RunDetailDto> {
    return this.cancellation.cancel(ctx, runId);
  }

  @Get('queue-health')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'getQueueHealth', summary: 'Per account: runs queued, waiting and running, calls in flight; the queue\'s job counts' })
  @ApiOkResponse({ type: QueueHealthDto })
  queueHealth(@Ctx() ctx: RequestContext): Promise<QueueHealthDto> {
    return this.queue.queueHealth(ctx);
  }
}
