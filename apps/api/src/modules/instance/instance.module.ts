import { Module } from '@nestjs/common';
import { CreditsModule } from '../credits/credits.module.js';
import { InstanceController } from './instance.controller.js';
import { InstanceService } from './instance.service.js';
import { ManagedAccountsService } from './managed-accounts.service.js';

@Module({ imports: [CreditsModule], controllers: [InstanceController], providers: [InstanceService, ManagedAccountsService], exports: [InstanceService] })
export class InstanceModule {}
