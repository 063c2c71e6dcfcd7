import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { PriceOverrideDto, PricesDto, SetPriceOverrideDto, UpdatePriceOverrideDto } from './prices.dto.js';
import { PricesService } from './prices.service.js';

@ApiTags('prices')
@Controller('api/v1')
export class PricesController {
  constructor(private readonly prices: PricesService) {}

  @Get('prices')
  @RequirePermission('budgets:read')
  @ApiOperation({ operationId: 'getPrices', summary: "The shipped price table (with its source and date) and this workspace's price overrides" })
  @ApiOkResponse({ type: PricesDto })
  get(@Ctx() ctx: RequestContext): Promise<PricesDto> {
    return this.prices.prices(ctx.workspaceId);
  }

  @Post('price-overrides')
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'setPriceOverride', summary: "Price a model for this workspace (201), or replace that model's override (200)" })
  @ApiCreatedResponse({ type: PriceOverrideDto, description: 'A new override' })
  @ApiOkResponse({ type: PriceOverrideDto, description: "The model's override was replaced" })
  @ApiProblems(400)
  async set(@Ctx() ctx: RequestContext, @Body() body: SetPriceOverrideDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<PriceOverrideDto> {
    const { override, created } = await this.prices.set(ctx, body);
    void reply.status(created ? 201 : 200);
    return override;
  }

  @Patch('price-overrides/:priceOverrideId')
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'updatePriceOverride', summary: 'Change the prices of an override' })
  @ApiOkResponse({ type: PriceOverrideDto })
  @ApiUuidParam('priceOverrideId')
  @ApiProblems(400, 404)
  update(@Ctx() ctx: RequestContext, @Param('priceOverrideId', UuidPipe) id: string, @Body() body: UpdatePriceOverrideDto): Promise<PriceOverrideDto> {
    return this.prices.update(ctx, id, body);
  }

  @Delete('price-overrides/:priceOverrideId')
  @HttpCode(204)
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'deletePriceOverride', summary: 'Remove an override: the model falls back to the shipped table (or has no price)' })
  @ApiNoContentResponse()
  @ApiUuidParam('priceOverrideId')
  @ApiProblems(400, 404)
  remove(@Ctx() ctx: RequestContext, @Param('priceOverrideId', UuidPipe) id: string): Promise<void> {
    return this.prices.remove(ctx, id);
  }
}
