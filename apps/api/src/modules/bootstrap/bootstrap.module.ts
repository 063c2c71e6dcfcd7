import { Module } from '@nestjs/common';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { BootstrapService } from './bootstrap.service.js';

@Module({ imports: [WorkspacesModule], providers: [BootstrapService], exports: [BootstrapService] })
export class BootstrapModule {}
