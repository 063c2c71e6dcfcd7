import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { MissionsController } from './missions.controller.js';
import { MissionsService } from './missions.service.js';

@Module({
  imports: [RunsModule],
  controllers: [MissionsController],
  providers: [MissionsService],
})
export class MissionsModule {}
