import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { ComparisonsController } from './comparisons.controller.js';
import { ComparisonsService } from './comparisons.service.js';

@Module({ imports: [RunsModule], controllers: [ComparisonsController], providers: [ComparisonsService] })
export class ComparisonsModule {}
