import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { MetricsController } from './metrics.controller.js';

@Module({ imports: [RunsModule], controllers: [MetricsController] })
export class MetricsModule {}
