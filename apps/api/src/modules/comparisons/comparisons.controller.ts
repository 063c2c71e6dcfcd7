import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIdempotencyKey, IdempotencyKey } from '../../common/idempotency.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { ComparisonDto, ComparisonPageDto, CreateComparisonDto, ListComparisonsQueryDto } from './comparisons.dto.js';
import { ComparisonsService } from './comparisons.service.js';

@ApiTags('comparisons')
@Controller('api/v1/comparisons')
export class ComparisonsController {
  constructor(private readonly comparisons: ComparisonsService) {}

  @Post()
  @HttpCode(202)
  @RequirePermission('runs:create')
  @ApiOperation({
    operationId: 'createComparison',
    summary: 'Run one input on the mock and on a live account (two queued runs, 202); refused at once (402/409/422) when either run would be, and then nothing is queued',
  })
  @ApiIdempotencyKey('in the same workspace returns the same comparison')
  @ApiAcceptedResponse({ type: ComparisonDto })
  @ApiProblems(400, 402, 409, 422)
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: CreateComparisonDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ComparisonDto> {
    const { comparison, replayed } = await this.comparisons.create(ctx, body, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    void reply.header('location', `/api/v1/comparisons/${comparison.id}`);
    return comparison;
  }

  @Get()
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'listComparisons', summary: 'Comparisons, newest first (cursor paging)' })
  @ApiOkResponse({ type: ComparisonPageDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListComparisonsQueryDto): Promise<ComparisonPageDto> {
    return this.comparisons.list(ctx, query);
  }

  @Get(':comparisonId')
  @RequirePermission('runs:read')
  @ApiOperation({ operationId: 'getComparison', summary: 'One comparison: both runs side by side, the estimate check of each, and what differs' })
  @ApiOkResponse({ type: ComparisonDto })
  @ApiUuidParam('comparisonId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('comparisonId', UuidPipe) comparisonId: string): Promise<ComparisonDto> {
    return this.comparisons.get(ctx, comparisonId);
  }
}
