import { Readable } from 'node:stream';
import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { ApiProblems } from '../../common/problem.dto.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { AUDIT_CSV_COLUMNS, auditCsvRow, csvLine } from './audit-csv.js';
import { AuditActionListDto, AuditFilterDto, AuditPageDto, AuditQueryDto } from './audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('api/v1')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(AuditController.name);
  }

  @Get('audit-events')
  @RequirePermission('audit:read')
  @ApiOperation({ operationId: 'listAuditEvents', summary: 'The workspace audit log, newest first, with the targets\' names (filters: actions, actor, target, outcome, time)' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(ctx.workspaceId, query);
  }

  @Get('audit-events/actions')
  @RequirePermission('audit:read')
  @ApiOperation({ operationId: 'listAuditActions', summary: 'Every action recorded in the workspace\'s audit log (for an action picker)' })
  @ApiOkResponse({ type: AuditActionListDto })
  async actions(@Ctx() ctx: RequestContext): Promise<AuditActionListDto> {
    return { items: (await this.audit.actions(ctx.workspaceId)).map((action) => ({ action })) };
  }

  @Get('audit-events.csv')
  @RequirePermission('audit:read')
  @ApiOperation({
    operationId: 'exportAuditEvents',
    summary: 'The audit log as CSV, newest first, with the same filters as the list; streamed (no row limit). Cells that could run as spreadsheet formulas are prefixed with \'',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: `CSV with a header row: ${AUDIT_CSV_COLUMNS.join(', ')}`, content: { 'text/csv': { schema: { type: 'string' } } } })
  @ApiProblems(400)
  exportCsv(@Ctx() ctx: RequestContext, @Query() filters: AuditFilterDto, @Res({ passthrough: true }) reply: FastifyReply): StreamableFile {
    const rows = this.audit.listAll(ctx.workspaceId, filters);
    const logger = this.logger;
    async function* csv(): AsyncGenerator<string> {
      yield csvLine([...AUDIT_CSV_COLUMNS]);
      try {
        for await (const event of rows) yield auditCsvRow(event);
      } catch (err) {
        // The status line is gone already: the download ends short, and the error is logged once here.
        logger.error({ err, workspaceId: ctx.workspaceId }, 'audit CSV export failed mid-stream');
        throw err;
      }
    }
    void reply.header('content-disposition', `attachment; filename="vaultrun-audit-${new Date().toISOString().slice(0, 10)}.csv"`);
    return new StreamableFile(Readable.from(csv()), { type: 'text/csv; charset=utf-8' });
  }
}
