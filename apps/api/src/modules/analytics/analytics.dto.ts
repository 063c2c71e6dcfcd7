import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsUUID } from 'class-validator';
import { MicroUsdProperty } from '../../common/money.js';
import { SpendSplitDto } from '../money/spend.dto.js';

export const OVERVIEW_BUCKETS = ['hour', 'day'] as const;
export type OverviewBucket = (typeof OVERVIEW_BUCKETS)[number];

export class OverviewQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Runs created at or after; default: 24 hours before `until`' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Runs created before; default: now' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  until?: Date;

  @ApiPropertyOptional({
    enum: OVERVIEW_BUCKETS,
    description: 'Width of a series point (UTC hours or days); default: hour for ranges up to 7 days, else day. Hourly: at most 31 days; daily: at most 400',
  })
  @IsOptional()
  @IsIn(OVERVIEW_BUCKETS)
  bucket?: OverviewBucket;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the runs of this provider account (an account you may not see counts nothing)' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  accountId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the runs of this operator' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  operatorId?: string;
}

export class PercentilesDto {
  @ApiProperty({ type: 'integer', nullable: true, description: 'Median, in milliseconds (null without a run to measure)' }) p50!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: '95th percentile, in milliseconds' }) p95!: number | null;
}

export class OverviewTotalsDto {
  @ApiProperty({ description: 'Runs created in the range' }) runs!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() cancelled!: number;
  @ApiProperty({ description: 'Refused by a budget or a cost cap' }) blocked!: number;
  @ApiProperty({ description: 'Still queued, waiting or running' }) active!: number;
  @ApiProperty({ type: 'number', nullable: true, description: 'succeeded ÷ (succeeded + failed); null when no run has ended either way' }) successRate!: number | null;
  @ApiProperty({ type: 'number', nullable: true, description: 'failed ÷ (succeeded + failed)' }) errorRate!: number | null;
  @ApiProperty({ type: PercentilesDto, description: 'Provider latency of the succeeded runs (the provider call alone)' }) latencyMs!: PercentilesDto;
  @ApiProperty({ type: PercentilesDto, description: 'End to end: queued → finished, of the succeeded runs' }) durationMs!: PercentilesDto;
  @ApiProperty({ type: SpendSplitDto, description: 'What these runs cost, split by cost label' }) spend!: SpendSplitDto;
}

export class OverviewBucketCostDto {
  @MicroUsdProperty() verified!: number;
  @MicroUsdProperty() estimated!: number;
  @MicroUsdProperty() pending_sync!: number;
  @ApiProperty({ description: 'Runs whose cost is unknown (never counted as $0)' }) unavailableRuns!: number;
}

export class OverviewPointDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the UTC hour or day' }) start!: string;
  @ApiProperty() runs!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ description: 'Cancelled, blocked, or still in progress' }) other!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'p95 provider latency of the succeeded runs of this bucket (ms)' }) p95LatencyMs!: number | null;
  @ApiProperty({ type: OverviewBucketCostDto }) cost!: OverviewBucketCostDto;
}

export class OverviewTopItemDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Null once deleted' }) name!: string | null;
  @ApiProperty() runs!: number;
  @ApiProperty() failed!: number;
  @MicroUsdProperty({ description: 'Known cost (verified + estimated + pending sync)' }) costMicroUsd!: number;
}

export class OverviewTopDto {
  @ApiProperty({ type: [OverviewTopItemDto], description: 'Up to 5, most runs first' }) operators!: OverviewTopItemDto[];
  @ApiProperty({ type: [OverviewTopItemDto] }) accounts!: OverviewTopItemDto[];
  @ApiProperty({ type: [OverviewTopItemDto], description: 'API tokens that started runs' }) tokens!: OverviewTopItemDto[];
}

export class OverviewDto {
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty({ format: 'date-time' }) until!: string;
  @ApiProperty({ enum: OVERVIEW_BUCKETS }) bucket!: OverviewBucket;
  @ApiProperty({ type: OverviewTotalsDto }) totals!: OverviewTotalsDto;
  @ApiProperty({ type: [OverviewPointDto], description: 'Every bucket of the range in order, empty ones too' }) series!: OverviewPointDto[];
  @ApiProperty({ type: OverviewTopDto }) top!: OverviewTopDto;
}
