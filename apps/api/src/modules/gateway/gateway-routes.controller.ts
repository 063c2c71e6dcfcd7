import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { CreateGatewayRouteDto, GatewayInfoDto, GatewayRouteDto, GatewayRouteListDto, GatewayUsageDto, GatewayUsageQueryDto, UpdateGatewayRouteDto } from './gateway-routes.dto.js';
import { GatewayRoutesService } from './gateway-routes.service.js';

@ApiTags('gateway')
@Controller('api/v1/gateway')
export class GatewayInfoController {
  constructor(private readonly routes: GatewayRoutesService) {}

  @Get()
  @RequirePermission('workspace:read')
  @ApiOperation({ operationId: 'getGatewayInfo', summary: 'The OpenAI-compatible gateway as apps see it: its base URL, endpoints, limits, and this workspace\'s retention' })
  @ApiOkResponse({ type: GatewayInfoDto })
  info(@Ctx() ctx: RequestContext): Promise<GatewayInfoDto> {
    return this.routes.info(ctx);
  }

  @Get('usage')
  @RequirePermission('runs:read')
  @ApiOperation({
    operationId: 'getGatewayUsage',
    summary: 'Gateway usage per API token over a range: calls, tokens, and cost split by cost label (the calls on accounts you may see)',
  })
  @ApiOkResponse({ type: GatewayUsageDto })
  @ApiProblems(400)
  usage(@Ctx() ctx: RequestContext, @Query() query: GatewayUsageQueryDto): Promise<GatewayUsageDto> {
    return this.routes.usage(ctx, query);
  }
}

@ApiTags('gateway')
@Controller('api/v1/gateway/routes')
export class GatewayRoutesController {
  constructor(private readonly routes: GatewayRoutesService) {}

  @Get()
  @RequirePermission('vault:read')
  @ApiOperation({ operationId: 'listGatewayRoutes', summary: 'Model routes of the OpenAI-compatible gateway: public model names and their ordered targets' })
  @ApiOkResponse({ type: GatewayRouteListDto })
  async list(@Ctx() ctx: RequestContext): Promise<GatewayRouteListDto> {
    return { items: await this.routes.list(ctx) };
  }

  @Post()
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'createGatewayRoute', summary: 'Create a model route (1–8 targets on accounts of this workspace; the name is unique)' })
  @ApiCreatedResponse({ type: GatewayRouteDto })
  @ApiProblems(400, 409)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateGatewayRouteDto): Promise<GatewayRouteDto> {
    return this.routes.create(ctx, body);
  }

  @Get(':routeId')
  @RequirePermission('vault:read')
  @ApiOperation({ operationId: 'getGatewayRoute', summary: 'One model route' })
  @ApiOkResponse({ type: GatewayRouteDto })
  @ApiUuidParam('routeId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('routeId', UuidPipe) routeId: string): Promise<GatewayRouteDto> {
    return this.routes.get(ctx, routeId);
  }

  @Patch(':routeId')
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'updateGatewayRoute', summary: 'Rename a model route or replace its targets' })
  @ApiOkResponse({ type: GatewayRouteDto })
  @ApiUuidParam('routeId')
  @ApiProblems(400, 404, 409)
  update(@Ctx() ctx: RequestContext, @Param('routeId', UuidPipe) routeId: string, @Body() body: UpdateGatewayRouteDto): Promise<GatewayRouteDto> {
    return this.routes.update(ctx, routeId, body);
  }

  @Delete(':routeId')
  @HttpCode(204)
  @RequirePermission('vault:manage')
  @ApiOperation({ operationId: 'deleteGatewayRoute', summary: 'Delete a model route (its name then resolves as any other model name)' })
  @ApiNoContentResponse()
  @ApiUuidParam('routeId')
  @ApiProblems(400, 404)
  remove(@Ctx() ctx: RequestContext, @Param('routeId', UuidPipe) routeId: string): Promise<void> {
    return this.routes.remove(ctx, routeId);
  }
}
