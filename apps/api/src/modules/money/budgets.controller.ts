import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import { UuidPipe } from '../../common/validation.js';
import { Ctx, RequirePermission } from '../auth/decorators.js';
import type { RequestContext } from '../auth/principal.js';
import { BudgetDto, BudgetListDto, CreateBudgetDto, UpdateBudgetDto } from './budgets.dto.js';
import { BudgetsService } from './budgets.service.js';

@ApiTags('budgets')
@Controller('api/v1/budgets')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get()
  @RequirePermission('budgets:read')
  @ApiOperation({ operationId: 'listBudgets', summary: 'Budgets of the workspace, each with its current period (spent, held, remaining, projected)' })
  @ApiOkResponse({ type: BudgetListDto })
  async list(@Ctx() ctx: RequestContext): Promise<BudgetListDto> {
    return { items: await this.budgets.list(ctx.workspaceId) };
  }

  @Post()
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'createBudget', summary: 'Create a budget: a hard cap per UTC period for the workspace, an account, an operator or an API token' })
  @ApiCreatedResponse({ type: BudgetDto })
  @ApiProblems(400)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateBudgetDto): Promise<BudgetDto> {
    return this.budgets.create(ctx, body);
  }

  @Get(':budgetId')
  @RequirePermission('budgets:read')
  @ApiOperation({ operationId: 'getBudget', summary: 'One budget with its current period' })
  @ApiOkResponse({ type: BudgetDto })
  @ApiUuidParam('budgetId')
  @ApiProblems(400, 404)
  get(@Ctx() ctx: RequestContext, @Param('budgetId', UuidPipe) budgetId: string): Promise<BudgetDto> {
    return this.budgets.get(ctx.workspaceId, budgetId);
  }

  @Patch(':budgetId')
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'updateBudget', summary: 'Rename a budget or change its cap or soft threshold (scope and period are fixed)' })
  @ApiOkResponse({ type: BudgetDto })
  @ApiUuidParam('budgetId')
  @ApiProblems(400, 404)
  update(@Ctx() ctx: RequestContext, @Param('budgetId', UuidPipe) budgetId: string, @Body() body: UpdateBudgetDto): Promise<BudgetDto> {
    return this.budgets.update(ctx, budgetId, body);
  }

  @Delete(':budgetId')
  @HttpCode(204)
  @RequirePermission('budgets:manage')
  @ApiOperation({ operationId: 'deleteBudget', summary: 'Delete a budget (runs it blocked stay blocked)' })
  @ApiNoContentResponse()
  @ApiUuidParam('budgetId')
  @ApiProblems(400, 404)
  remove(@Ctx() ctx: RequestContext, @Param('budgetId', UuidPipe) budgetId: string): Promise<void> {
    return this.budgets.remove(ctx, budgetId);
  }
}
