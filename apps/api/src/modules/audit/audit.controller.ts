import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/problem.dto.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { AuditPageDto, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission('audit:read')
  @ApiOperation({ operationId: 'listAuditEvents', summary: 'The workspace audit log, newest first' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(ctx.workspaceId, query);
  }
}
