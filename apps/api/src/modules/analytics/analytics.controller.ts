import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/problem.dto.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { OverviewDto, OverviewQueryDto } from './analytics.dto.js';
import { AnalyticsService } from './analytics.service.js';

@ApiTags('analytics')
@Controller('api/v1/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('overview')
  @RequirePermission('runs:read')
  @ApiOperation({
    operationId: 'getOverview',
    summary:
      'The Overview: runs per hour or day, success and error rates, p50/p95 latency, spend by cost label, and the busiest operators, accounts and API tokens — over the runs created in a range that you may see',
  })
  @ApiOkResponse({ type: OverviewDto })
  @ApiProblems(400)
  overview(@Ctx() ctx: RequestContext, @Query() query: OverviewQueryDto): Promise<OverviewDto> {
    return this.analytics.overview(ctx, query);
  }
}
