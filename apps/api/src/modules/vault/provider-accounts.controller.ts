import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NoStoreInterceptor } from '../../common/no-store.interceptor.js';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import {
  AdminKeyDto,
  CostSyncDaysDto,
  CostSyncRequestedDto,
  CreateProviderAccountDto,
  ListProviderAccountsQueryDto,
  ProviderAccountDto,
  ProviderAccountListDto,
  RotateKeyDto,
  UpdateProviderAccountDto,
  VerifyResultDto,
} from './provider-accounts.dto.js';
import { ProviderAccountChangesService } from './provider-account-changes.service.js';
import { ProviderAccountsService } from './provider-accounts.service.js';
import { ProviderCostSyncService } from './provider-cost-sync.service.js';
import { ProviderKeysService } from './provider-keys.service.js';
import { ProviderVerificationService } from './provider-verification.service.js';

@ApiTags('vault')
@Controller('api/v1/provider-accounts')
@UseInterceptors(NoStoreInterceptor)
export class ProviderAccountsController {
  constructor(
    private readonly accounts: ProviderAccountsService,
    private readonly changes: ProviderAccountChangesService,
    private readonly keys: ProviderKeysService,
    private readonly verification: ProviderVerificationService,
    private readonly costSyncs: ProviderCostSyncService,
  ) {}

  @Get()
  @RequirePermission('vault:read')
  @ApiOperation({
    operationId: 'listProviderAccounts',
    summary: 'Provider accounts the caller may see (keys never included: hints only); search (`q`: name, default model, base URL), filter, sort and page',
  })
  @ApiOkResponse({ type: ProviderAccountListDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListProviderAccountsQueryDto): Promise<ProviderAccountListDto> {
    return this.accounts.listPage(ctx, query);
  }

  @Post()
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'createProviderAccount', summary: 'Add a provider account; the key is encrypted and never shown again. Verifies by default.' })
  @ApiCreatedResponse({ type: ProviderAccountDto })
  @ApiProblems(400, 409)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateProviderAccountDto): Promise<ProviderAccountDto> {
    return this.changes.create(ctx, body);
  }

  @Get(':accountId')
  @RequirePermission('vault:read')
  @ApiOperation({ operationId: 'getProviderAccount', summary: 'One provider account' })
  @ApiOkResponse({ type: ProviderAccountDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<ProviderAccountDto> {
    return this.accounts.get(ctx, accountId);
  }

  @Patch(':accountId')
  @RequirePermission('vault:manage')
  @ApiOperation({
    operationId: 'updateProviderAccount',
    summary:
      'Change name, base URL, default model, limits, sharing or enabled state. A new base URL for an account holding a key needs the key again (apiKey), checked at the new endpoint first; without it: 409 key_required_for_endpoint_change',
  })
  @ApiOkResponse({ type: ProviderAccountDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404, 409, 422)
  update(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string, @Body() body: UpdateProviderAccountDto): Promise<ProviderAccountDto> {
    return this.changes.update(ctx, accountId, body);
  }

  @Delete(':accountId')
  @HttpCode(204)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'deleteProviderAccount', summary: 'Delete the account; its encrypted key is destroyed' })
  @ApiNoContentResponse()
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  remove(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<void> {
    return this.changes.remove(ctx, accountId);
  }

  @Post(':accountId/verify')
  @HttpCode(200)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'verifyProviderAccount', summary: 'List the available models with the stored key; updates status, models and provider limits' })
  @ApiOkResponse({ type: VerifyResultDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404, 409)
  verify(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<VerifyResultDto> {
    return this.verification.verify(ctx, accountId);
  }

  @Post(':accountId/rotate')
  @HttpCode(200)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'rotateProviderKey', summary: 'Replace the key in place (same account id); by default the new key is checked first' })
  @ApiOkResponse({ type: ProviderAccountDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  rotate(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string, @Body() body: RotateKeyDto): Promise<ProviderAccountDto> {
    return this.keys.rotate(ctx, accountId, body.apiKey, body.verify !== false);
  }

  @Put(':accountId/admin-key')
  @RequirePermission('vault:manage')
  @ApiOperation({
    operationId: 'setProviderAdminKey',
    summary: 'Store an admin key (separate secret) to enable cost sync: OpenAI (sk-admin-…) on an openai account, Anthropic (sk-ant-admin…) on an anthropic account',
  })
  @ApiOkResponse({ type: ProviderAccountDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  setAdminKey(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string, @Body() body: AdminKeyDto): Promise<ProviderAccountDto> {
    return this.keys.setAdminKey(ctx, accountId, body.adminKey);
  }

  @Delete(':accountId/admin-key')
  @HttpCode(200)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'clearProviderAdminKey', summary: 'Remove the admin key (its ciphertext is destroyed)' })
  @ApiOkResponse({ type: ProviderAccountDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  clearAdminKey(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<ProviderAccountDto> {
    return this.keys.clearAdminKey(ctx, accountId);
  }

  @Get(':accountId/cost-sync')
  @RequirePermission('vault:read')
  @ApiOperation({
    operationId: 'getProviderCostSync',
    summary: 'Provider cost sync of an OpenAI or Anthropic account: its status and the last 31 closed UTC days checked (provider vs Vaultrun, drift)',
  })
  @ApiOkResponse({ type: CostSyncDaysDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404)
  costSync(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<CostSyncDaysDto> {
    return this.costSyncs.costSyncDays(ctx, accountId);
  }

  @Post(':accountId/cost-sync')
  @HttpCode(202)
  @RequirePermission('vault:manage')
  @ApiOperation({
    operationId: 'requestProviderCostSync',
    summary: 'Queue a cost sync of this account now (needs an admin key; the schedule runs it anyway). The result shows in GET …/cost-sync.',
  })
  @ApiAcceptedResponse({ type: CostSyncRequestedDto })
  @ApiUuidParam('accountId')
  @ApiProblems(400, 404, 409)
  requestCostSync(@Ctx() ctx: RequestContext, @Param('accountId', UuidPipe) accountId: string): Promise<CostSyncRequestedDto> {
    return this.costSyncs.requestCostSync(ctx, accountId);
  }
}
