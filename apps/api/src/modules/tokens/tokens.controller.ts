import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { ApiTokenDto, CreatedTokenDto, CreateTokenDto, ListTokensQueryDto, TokenListDto } from './tokens.dto.js';
import { TokensService } from './tokens.service.js';

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @RequirePermission('tokens:read')
  @ApiOperation({ operationId: 'listTokens', summary: 'API tokens of the workspace (prefixes only); search (`q`: name, prefix), filter, sort and page' })
  @ApiOkResponse({ type: TokenListDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListTokensQueryDto): Promise<TokenListDto> {
    return this.tokens.list(ctx.workspaceId, query);
  }

  @Post()
  @RequirePermission('tokens:manage')
  @ApiOperation({ operationId: 'createToken', summary: 'Create an API token; the full token is in this response only' })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiProblems(400)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateTokenDto): Promise<CreatedTokenDto> {
    return this.tokens.create(ctx, body);
  }

  @Delete(':tokenId')
  @HttpCode(200)
  @RequirePermission('tokens:manage')
  @ApiOperation({ operationId: 'revokeToken', summary: 'Revoke an API token (it stops working at once)' })
  @ApiOkResponse({ type: ApiTokenDto })
  @ApiUuidParam('tokenId')
  @ApiProblems(400, 404)
  revoke(@Ctx() ctx: RequestContext, @Param('tokenId', UuidPipe) tokenId: string): Promise<ApiTokenDto> {
    return this.tokens.revoke(ctx, tokenId);
  }
}
