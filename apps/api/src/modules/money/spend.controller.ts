import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/problem.dto.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { SpendQueryDto, SpendReportDto } from './spend.dto.js';
import { SpendService } from './spend.service.js';

@ApiTags('spend')
@Controller('api/v1/spend')
export class SpendController {
  constructor(private readonly spend: SpendService) {}

  @Get()
  @RequirePermission('budgets:read')
  @ApiOperation({
    operationId: 'getSpend',
    summary: 'What runs cost, by UTC day (of finishing), account, operator, model or API token — every total split by cost label',
  })
  @ApiOkResponse({ type: SpendReportDto })
  @ApiProblems(400)
  report(@Ctx() ctx: RequestContext, @Query() query: SpendQueryDto): Promise<SpendReportDto> {
    return this.spend.report(ctx, query);
  }
}
