import { Module } from '@nestjs/common';
import { BudgetsController } from './budgets.controller.js';
import { BudgetsService } from './budgets.service.js';
import { PricesController } from './prices.controller.js';
import { PricesService } from './prices.service.js';
import { SpendController } from './spend.controller.js';
import { SpendService } from './spend.service.js';

/** Budgets, price overrides and spend reports (SPEC §5). The guardrail itself lives in vault-core and the ledger. */
@Module({ controllers: [BudgetsController, PricesController, SpendController], providers: [BudgetsService, PricesService, SpendService] })
export class MoneyModule {}
