import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { CreateOperatorDto, ListOperatorsQueryDto, OperatorDto, OperatorListDto, UpdateOperatorDto } from './operators.dto.js';
import { OperatorsService } from './operators.service.js';

@ApiTags('operators')
@Controller('api/v1/operators')
export class OperatorsController {
  constructor(private readonly operators: OperatorsService) {}

  @Get()
  @RequirePermission('operators:read')
  @ApiOperation({ operationId: 'listOperators', summary: 'Operators of the workspace; search (`q`: name, description, model), filter, sort and page' })
  @ApiOkResponse({ type: OperatorListDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListOperatorsQueryDto): Promise<OperatorListDto> {
    return this.operators.listPage(ctx.workspaceId, query);
  }

  @Post()
  @RequirePermission('operators:manage')
  @ApiOperation({ operationId: 'createOperator', summary: 'Create an operator (a JSON Schema output is validated when saved)' })
  @ApiCreatedResponse({ type: OperatorDto })
  @ApiProblems(400, 409)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateOperatorDto): Promise<OperatorDto> {
    return this.operators.create(ctx, body);
  }

  @Get(':operatorId')
  @RequirePermission('operators:read')
  @ApiOperation({ operationId: 'getOperator', summary: 'One operator' })
  @ApiOkResponse({ type: OperatorDto })
  @ApiUuidParam('operatorId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('operatorId', UuidPipe) operatorId: string): Promise<OperatorDto> {
    return this.operators.get(ctx.workspaceId, operatorId);
  }

  @Patch(':operatorId')
  @RequirePermission('operators:manage')
  @ApiOperation({ operationId: 'updateOperator', summary: 'Change an operator (runs already started keep what they ran with)' })
  @ApiOkResponse({ type: OperatorDto })
  @ApiUuidParam('operatorId')
  @ApiProblems(400, 404, 409)
  update(@Ctx() ctx: RequestContext, @Param('operatorId', UuidPipe) operatorId: string, @Body() body: UpdateOperatorDto): Promise<OperatorDto> {
    return this.operators.update(ctx, operatorId, body);
  }

  @Delete(':operatorId')
  @HttpCode(204)
  @RequirePermission('operators:manage')
  @ApiOperation({ operationId: 'deleteOperator', summary: 'Delete an operator (its runs stay)' })
  @ApiNoContentResponse()
  @ApiUuidParam('operatorId')
  @ApiProblems(400, 404)
  remove(@Ctx() ctx: RequestContext, @Param('operatorId', UuidPipe) operatorId: string): Promise<void> {
    return this.operators.remove(ctx, operatorId);
  }
}
