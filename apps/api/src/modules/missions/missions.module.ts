import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { MissionsController } from './missions.controller.js';
import { MissionChatService } from './mission-chat.service.js';
import { MissionExecutionService } from './mission-execution.service.js';
import { MissionJobsService } from './mission-jobs.service.js';
import { MissionPlansService } from './mission-plans.service.js';
import { MissionsReadService } from './missions-read.service.js';

@Module({
  imports: [RunsModule],
  controllers: [MissionsController],
  providers: [MissionJobsService, MissionsReadService, MissionChatService, MissionPlansService, MissionExecutionService],
})
export class MissionsModule {}
