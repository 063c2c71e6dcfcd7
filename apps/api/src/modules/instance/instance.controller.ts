import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PageQueryDto } from '../../common/pagination.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { AuditPageDto } from '../audit/audit.dto.js';
import { CurrentUser, InstanceAdmin } from '../auth/decorators.js';
import { actorOf, type UserPrincipal } from '../auth/principal.js';
import { InstanceWorkspaceDto, InstanceWorkspaceListDto, InstanceWorkspacesQueryDto, SuspendWorkspaceDto } from './instance.dto.js';
import { InstanceService } from './instance.service.js';

/** Instance administration (docs/managed.md): instance administrators only, console sessions only. */
@ApiTags('instance')
@Controller('api/v1/instance')
export class InstanceController {
  constructor(private readonly instance: InstanceService) {}

  @Get('workspaces')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'listInstanceWorkspaces', summary: 'Every workspace of the instance: members, runs and spend of the last 30 days, status (search, status filter, paging)' })
  @ApiOkResponse({ type: InstanceWorkspaceListDto })
  @ApiProblems(400)
  listWorkspaces(@Query() query: InstanceWorkspacesQueryDto): Promise<InstanceWorkspaceListDto> {
    return this.instance.listWorkspaces(query);
  }

  @Post('workspaces/:id/suspend')
  @HttpCode(200)
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'suspendWorkspace', summary: 'Suspend a workspace: its new runs and gateway calls are refused and queued runs do not start; members can still sign in and read' })
  @ApiOkResponse({ type: InstanceWorkspaceDto })
  @ApiProblems(400, 404, 409)
  suspend(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string, @Body() body: SuspendWorkspaceDto): Promise<InstanceWorkspaceDto> {
    return this.instance.suspend(id, body.reason, actorOf({ principal: user, ip: req.ip }));
  }

  @Post('workspaces/:id/resume')
  @HttpCode(200)
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'resumeWorkspace', summary: 'Resume a suspended workspace: runs and gateway calls work again' })
  @ApiOkResponse({ type: InstanceWorkspaceDto })
  @ApiProblems(400, 404, 409)
  resume(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string): Promise<InstanceWorkspaceDto> {
    return this.instance.resume(id, actorOf({ principal: user, ip: req.ip }));
  }

  @Get('audit')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'listInstanceAudit', summary: 'The instance audit log, newest first: instance admin grants and revokes, workspace suspensions and resumptions' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  audit(@Query() query: PageQueryDto): Promise<AuditPageDto> {
    return this.instance.audit(query);
  }
}
