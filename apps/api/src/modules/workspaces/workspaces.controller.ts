import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/problem.dto.js';
import type { FastifyRequest } from 'fastify';
import { Ctx, CurrentUser, RequirePermission, SignedIn } from '../auth/decorators.js';
import type { RequestContext, UserPrincipal } from '../auth/principal.js';
import { AlertWebhookSecretDto, SetAlertWebhookDto, UpdateWorkspaceDto, WorkspaceDto, WorkspaceListDto, WorkspaceNameDto } from './workspaces.dto.js';
import { WorkspacesService } from './workspaces.service.js';

@ApiTags('workspaces')
@Controller('api/v1')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @Get('workspaces')
  @SignedIn()
  @ApiOperation({ operationId: 'listMyWorkspaces', summary: 'Workspaces the signed-in user belongs to, with their role' })
  @ApiOkResponse({ type: WorkspaceListDto })
  async listMine(@CurrentUser() user: UserPrincipal): Promise<WorkspaceListDto> {
    return { items: await this.workspaces.listForUser(user.userId) };
  }

  @Post('workspaces')
  @SignedIn()
  @ApiOperation({ operationId: 'createWorkspace', summary: 'Create a workspace (you become its owner) and switch to it' })
  @ApiCreatedResponse({ type: WorkspaceDto })
  @ApiProblems(400)
  create(@CurrentUser() user: UserPrincipal, @Body() body: WorkspaceNameDto, @Req() req: FastifyRequest): Promise<WorkspaceDto> {
    return this.workspaces.createAndSwitch(user, body.name, req.ip);
  }

  @Get('workspace')
  @RequirePermission('workspace:read')
  @ApiOperation({ operationId: 'getWorkspace', summary: 'The current workspace' })
  @ApiOkResponse({ type: WorkspaceDto })
  get(@Ctx() ctx: RequestContext): Promise<WorkspaceDto> {
    return this.workspaces.get(ctx);
  }

  @Patch('workspace')
  @RequirePermission('workspace:manage')
  @ApiOperation({ operationId: 'updateWorkspace', summary: 'Rename the workspace, or set its default provider account and model' })
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiProblems(400)
  update(@Ctx() ctx: RequestContext, @Body() body: UpdateWorkspaceDto): Promise<WorkspaceDto> {
    return this.workspaces.update(ctx, body);
  }

  @Put('workspace/alert-webhook')
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'setAlertWebhook', summary: 'Send budget alerts to a URL; issues a new signing secret, shown this once' })
  @ApiOkResponse({ type: AlertWebhookSecretDto })
  @ApiProblems(400)
  setAlertWebhook(@Ctx() ctx: RequestContext, @Body() body: SetAlertWebhookDto): Promise<AlertWebhookSecretDto> {
    return this.workspaces.setAlertWebhook(ctx, body.url);
  }

  @Delete('workspace/alert-webhook')
  @HttpCode(204)
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'clearAlertWebhook', summary: 'Stop sending budget alerts to a webhook (the secret is destroyed)' })
  @ApiNoContentResponse()
  clearAlertWebhook(@Ctx() ctx: RequestContext): Promise<void> {
    return this.workspaces.clearAlertWebhook(ctx);
  }
}
