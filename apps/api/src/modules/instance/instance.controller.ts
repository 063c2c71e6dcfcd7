import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PageQueryDto } from '../../common/pagination.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { AuditPageDto } from '../audit/audit.dto.js';
import { CurrentUser, InstanceAdmin } from '../auth/decorators.js';
import { actorOf, type UserPrincipal } from '../auth/principal.js';
import { InstanceWorkspaceDto, InstanceWorkspaceListDto, InstanceWorkspacesQueryDto, SuspendWorkspaceDto } from './instance.dto.js';
import { InstanceService } from './instance.service.js';
import { CreditGrantDto, CreditsDto, GrantCreditsDto } from '../credits/credits.dto.js';
import { CreditsService } from '../credits/credits.service.js';
import {
  CreateManagedAccountDto,
  InstanceSettingsDto,
  ManagedAccountDto,
  ManagedAccountListDto,
  RotateManagedKeyDto,
  UpdateInstanceSettingsDto,
  UpdateManagedAccountDto,
} from './managed-accounts.dto.js';
import { type InstanceActor, ManagedAccountsService } from './managed-accounts.service.js';

const actor = (user: UserPrincipal, req: FastifyRequest): InstanceActor => ({ user, ip: req.ip, requestId: String(req.id), audit: actorOf({ principal: user, ip: req.ip }) });

/** Instance administration (docs/managed.md): instance administrators only, console sessions only. */
@ApiTags('instance')
@Controller('api/v1/instance')
export class InstanceController {
  constructor(
    private readonly instance: InstanceService,
    private readonly managed: ManagedAccountsService,
    private readonly credits: CreditsService,
  ) {}

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

  @Get('managed-accounts')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'listManagedAccounts', summary: "The instance's managed accounts: provider keys it offers to workspaces (paid with credits), with their offer and share limits" })
  @ApiOkResponse({ type: ManagedAccountListDto })
  async listManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest): Promise<ManagedAccountListDto> {
    return { items: await this.managed.list(actor(user, req)) };
  }

  @Post('managed-accounts')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'createManagedAccount', summary: 'Connect a managed account (its key is verified and encrypted like every key) and offer it to all or chosen workspaces' })
  @ApiCreatedResponse({ type: ManagedAccountDto })
  @ApiProblems(400, 409)
  createManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Body() body: CreateManagedAccountDto): Promise<ManagedAccountDto> {
    return this.managed.create(actor(user, req), body);
  }

  @Get('managed-accounts/:id')
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'getManagedAccount', summary: 'One managed account' })
  @ApiOkResponse({ type: ManagedAccountDto })
  @ApiProblems(400, 404)
  getManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string): Promise<ManagedAccountDto> {
    return this.managed.get(actor(user, req), id);
  }

  @Patch('managed-accounts/:id')
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'updateManagedAccount', summary: "Rename a managed account, change whom it is offered to or each workspace's share" })
  @ApiOkResponse({ type: ManagedAccountDto })
  @ApiProblems(400, 404, 409)
  updateManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string, @Body() body: UpdateManagedAccountDto): Promise<ManagedAccountDto> {
    return this.managed.update(actor(user, req), id, body);
  }

  @Post('managed-accounts/:id/rotate')
  @HttpCode(200)
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'rotateManagedKey', summary: "Replace a managed account's key (checked with the provider first); every workspace's connector uses the new one" })
  @ApiOkResponse({ type: ManagedAccountDto })
  @ApiProblems(400, 404, 409)
  rotateManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string, @Body() body: RotateManagedKeyDto): Promise<ManagedAccountDto> {
    return this.managed.rotate(actor(user, req), id, body.apiKey);
  }

  @Post('managed-accounts/:id/verify')
  @HttpCode(200)
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'verifyManagedAccount', summary: 'Check a managed account with its provider (key, models); connectors follow its status' })
  @ApiOkResponse({ type: ManagedAccountDto })
  @ApiProblems(400, 404)
  verifyManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string): Promise<ManagedAccountDto> {
    return this.managed.verify(actor(user, req), id);
  }

  @Delete('managed-accounts/:id')
  @HttpCode(204)
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'deleteManagedAccount', summary: 'Delete a managed account and its key; its connectors go with it (their runs keep their records)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  removeManaged(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string): Promise<void> {
    return this.managed.remove(actor(user, req), id);
  }

  @Get('settings')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'getInstanceSettings', summary: 'The price multiplier on managed usage and the low-balance alert threshold' })
  @ApiOkResponse({ type: InstanceSettingsDto })
  settings(): Promise<InstanceSettingsDto> {
    return this.managed.settings();
  }

  @Patch('settings')
  @InstanceAdmin()
  @ApiOperation({ operationId: 'updateInstanceSettings', summary: 'Change the price multiplier (new runs and calls) or the low-balance alert threshold' })
  @ApiOkResponse({ type: InstanceSettingsDto })
  @ApiProblems(400)
  updateSettings(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Body() body: UpdateInstanceSettingsDto): Promise<InstanceSettingsDto> {
    return this.managed.updateSettings(actor(user, req), body);
  }

  @Get('workspaces/:id/credits')
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'getWorkspaceCredits', summary: "A workspace's credits: balance, held, grants and expiries" })
  @ApiOkResponse({ type: CreditsDto })
  @ApiProblems(400, 404)
  async workspaceCredits(@Param('id', UuidPipe) id: string): Promise<CreditsDto> {
    await this.instance.getWorkspace(id);
    return this.credits.summary(id);
  }

  @Post('workspaces/:id/credits')
  @InstanceAdmin()
  @ApiUuidParam('id')
  @ApiOperation({ operationId: 'grantCredits', summary: 'Give a workspace credits: a grant, or a top-up with its payment reference; optional expiry' })
  @ApiCreatedResponse({ type: CreditGrantDto })
  @ApiProblems(400, 404, 409)
  async grantCredits(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Param('id', UuidPipe) id: string, @Body() body: GrantCreditsDto): Promise<CreditGrantDto> {
    const { grant } = await this.credits.grant(id, body, { audit: actorOf({ principal: user, ip: req.ip }), userId: user.userId, label: user.email });
    return grant;
  }
}
