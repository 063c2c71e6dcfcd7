import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { verifyWebhookSignature } from '@vaultrun/money';
import { NotFound, SYSTEM_ACTOR, Unauthenticated } from '@vaultrun/vault-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems } from '../../common/problem.dto.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { Ctx, Public, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { CreditGrantDto, CreditsDto, CreditsHistoryDto, CreditsHistoryQueryDto, SwitchedDto, SwitchToOwnKeyDto, TopUpWebhookDto } from './credits.dto.js';
import { CreditsService } from './credits.service.js';

/** A workspace's Vaultrun credits (docs/managed.md), and the billing webhook that tops them up. */
@ApiTags('credits')
@Controller('api/v1/credits')
export class CreditsController {
  constructor(
    private readonly credits: CreditsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequirePermission('budgets:read')
  @ApiOperation({ operationId: 'getCredits', summary: 'The Vaultrun credits balance: held, available, grants and their expiry, the managed connectors they pay for' })
  @ApiOkResponse({ type: CreditsDto })
  summary(@Ctx() ctx: RequestContext): Promise<CreditsDto> {
    return this.credits.summary(ctx.workspaceId);
  }

  @Get('history')
  @RequirePermission('budgets:read')
  @ApiOperation({ operationId: 'getCreditsHistory', summary: 'Credits consumed and given per UTC day, and what consumed them (operators, API tokens, people, gateway tokens)' })
  @ApiOkResponse({ type: CreditsHistoryDto })
  @ApiProblems(400)
  history(@Ctx() ctx: RequestContext, @Query() query: CreditsHistoryQueryDto): Promise<CreditsHistoryDto> {
    return this.credits.history(ctx.workspaceId, query.days ?? 30);
  }

  @Post('switch-to-own-key')
  @HttpCode(200)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'switchToOwnKey', summary: "Move every operator, gateway route target and workspace default on the managed connector(s) to one of the workspace's own accounts, in one step" })
  @ApiOkResponse({ type: SwitchedDto })
  @ApiProblems(400)
  switchToOwnKey(@Ctx() ctx: RequestContext, @Body() body: SwitchToOwnKeyDto): Promise<SwitchedDto> {
    return this.credits.switchToOwnKey(ctx, body);
  }

  @Post('top-ups')
  @Public()
  @ApiHeader({ name: 'Vaultrun-Signature', required: true, description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with VAULTRUN_CREDITS_WEBHOOK_SECRET; at most 5 minutes old' })
  @ApiOperation({
    operationId: 'creditsTopUpWebhook',
    summary: 'Billing webhook: add a paid top-up to a workspace (signed; idempotent per reference: 201 the first time, 200 after)',
  })
  @ApiCreatedResponse({ type: CreditGrantDto })
  @ApiProblems(400, 401, 404, 409)
  async topUp(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: TopUpWebhookDto): Promise<CreditGrantDto> {
    const secret = this.config.creditsWebhookSecret;
    if (!secret) throw new NotFound('Route');
    const raw = (req as FastifyRequest & { rawBody?: string }).rawBody ?? '';
    const header = req.headers['vaultrun-signature'];
    if (!verifyWebhookSignature(secret, raw, typeof header === 'string' ? header : '', Math.floor(Date.now() / 1000))) {
      throw new Unauthenticated('The Vaultrun-Signature header is missing, malformed, stale or does not match the body.', 'invalid_signature');
    }
    const { grant, created } = await this.credits.grant(
      body.workspaceId,
      { kind: 'top_up', amountMicroUsd: body.amountMicroUsd, reference: body.reference, expiresAt: body.expiresAt },
      { audit: { ...SYSTEM_ACTOR('billing webhook'), ip: req.ip }, userId: null, label: 'billing webhook' },
    );
    reply.status(created ? 201 : 200);
    return grant;
  }
}
