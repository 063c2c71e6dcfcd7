import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { MicroUsdProperty } from '../../common/money.js';

export const SPEND_GROUPINGS = ['day', 'account', 'operator', 'model', 'token', 'payer'] as const;
export type SpendGrouping = (typeof SPEND_GROUPINGS)[number];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class SpendQueryDto {
  @ApiPropertyOptional({ format: 'date', example: '2026-11-01', description: 'First UTC day (inclusive); default: 29 days before `to`' })
  @IsOptional()
  @Matches(DAY, { message: 'must be a date YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ format: 'date', example: '2026-11-30', description: 'Last UTC day (inclusive); default: today. At most 400 days after `from`' })
  @IsOptional()
  @Matches(DAY, { message: 'must be a date YYYY-MM-DD' })
  to?: string;

  @ApiPropertyOptional({ enum: SPEND_GROUPINGS, default: 'day' })
  @IsOptional()
  @IsIn(SPEND_GROUPINGS)
  groupBy?: SpendGrouping;
}

export class LabelAmountDto {
  @MicroUsdProperty({ description: 'Sum of the costs with this label' }) costMicroUsd!: number;
  @ApiProperty({ description: 'Runs with this label' }) runs!: number;
}

export class UnavailableAmountDto {
  @ApiProperty({ type: 'integer', nullable: true, enum: [null], description: 'Always null: these costs are unknown (never counted as $0)' }) costMicroUsd!: null;
  @ApiProperty({ description: 'Runs whose cost is unknown' }) runs!: number;
}

export class SpendByLabelDto {
  @ApiProperty({ type: LabelAmountDto, description: 'Verified by Provider' }) verified!: LabelAmountDto;
  @ApiProperty({ type: LabelAmountDto, description: 'Estimated by Vaultrun' }) estimated!: LabelAmountDto;
  @ApiProperty({ type: LabelAmountDto, description: 'Pending Provider Sync' }) pending_sync!: LabelAmountDto;
  @ApiProperty({ type: UnavailableAmountDto, description: 'Provider cost unavailable' }) unavailable!: UnavailableAmountDto;
}

/** A total and how much of it each cost label accounts for. */
export class SpendSplitDto {
  @MicroUsdProperty({ description: 'Sum of the known costs (verified + estimated + pending sync); unavailable costs are not in it' }) costMicroUsd!: number;
  @ApiProperty({ description: 'Runs that reached a provider (every label)' }) runs!: number;
  @ApiProperty({ type: SpendByLabelDto }) byLabel!: SpendByLabelDto;
}

export class SpendGroupDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The day (YYYY-MM-DD), account id, operator id, model or API token id; null for runs without one (no operator, or not started by a token)',
  })
  key!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "What people call it: the day, the account's / operator's / token's name (null when deleted or none), the model" })
  name!: string | null;
  @ApiProperty({ type: SpendSplitDto }) total!: SpendSplitDto;
}

export class SpendReportDto {
  @ApiProperty({ format: 'date' }) from!: string;
  @ApiProperty({ format: 'date' }) to!: string;
  @ApiProperty({ enum: SPEND_GROUPINGS }) groupBy!: SpendGrouping;
  @ApiProperty({ type: SpendSplitDto }) total!: SpendSplitDto;
  @ApiProperty({ type: [SpendGroupDto], description: 'Days in order (every day of the range, empty ones too); other groupings by cost, highest first' })
  groups!: SpendGroupDto[];
}
