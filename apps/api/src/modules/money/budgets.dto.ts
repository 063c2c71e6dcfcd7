import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BUDGET_COUNT_FROM, BUDGET_PERIODS, BUDGET_SCOPES, type BudgetCountFrom, type BudgetPeriod, type BudgetScope } from '@vaultrun/db';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsMicroUsd, MicroUsdProperty, MicroUsdPropertyOptional } from '../../common/money.js';

export class BudgetScopeInputDto {
  @ApiProperty({ enum: BUDGET_SCOPES, example: 'workspace', description: 'What the budget caps: every run of the workspace, or the runs of one provider account, operator or API token' })
  @IsIn(BUDGET_SCOPES)
  type!: BudgetScope;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null, description: 'The account, operator or API token; null for a workspace budget' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID('all', { message: 'must be a UUID' })
  id?: string | null;
}

/** Shrink-to-fit (off when null): how far a run's max output tokens may be reduced to fit the budget's headroom. */
export class ShrinkToFitInputDto {
  @ApiProperty({
    minimum: 1,
    maximum: 200_000,
    example: 256,
    description: 'The floor: a run is never shrunk below this many max output tokens (below it, it is blocked as without shrink-to-fit)',
  })
  @IsInt({ message: 'must be a whole number of tokens' })
  @Min(1)
  @Max(200_000)
  minOutputTokens!: number;
}

const COUNT_FROM_DESCRIPTION =
  'What the first period counts: `creation` — only runs from the budget\'s creation on (default); `period_start` — every run of the period from its start ' +
  '(month-to-date for a monthly budget), so the spend of runs that finished earlier in the period counts from the start (recorded as the period\'s opening balance). ' +
  'Later periods are whole UTC periods either way. Cannot be changed after creation';

const SHRINK_DESCRIPTION =
  'Instead of blocking a run whose worst case does not fit the remaining headroom, reduce its max output tokens to what fits (never below minOutputTokens) ' +
  'and say so on the run. Null or absent: off. A run is shrunk only when every budget it does not fit has this on.';

export class CreateBudgetDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Team monthly' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ type: BudgetScopeInputDto, description: 'Cannot be changed after creation' })
  @IsObject({ message: 'must be an object { type, id }' })
  @ValidateNested()
  @Type(() => BudgetScopeInputDto)
  scope!: BudgetScopeInputDto;

  @ApiProperty({ enum: BUDGET_PERIODS, example: 'month', description: 'UTC calendar day, ISO week (from Monday) or month; or lifetime. Cannot be changed after creation' })
  @IsIn(BUDGET_PERIODS)
  period!: BudgetPeriod;

  @MicroUsdProperty({ description: 'Hard cap per period, micro-USD (50000000 = $50)', example: 50_000_000 })
  @IsMicroUsd()
  capMicroUsd!: number;

  @ApiPropertyOptional({ enum: BUDGET_COUNT_FROM, default: 'creation', description: COUNT_FROM_DESCRIPTION })
  @IsOptional()
  @IsIn(BUDGET_COUNT_FROM)
  countFrom?: BudgetCountFrom;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 80, description: 'Alert once per period when spend reaches this share of the cap' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  softThresholdPct?: number;

  @ApiPropertyOptional({ type: ShrinkToFitInputDto, nullable: true, description: SHRINK_DESCRIPTION })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsObject({ message: 'must be an object { minOutputTokens } or null' })
  @ValidateNested()
  @Type(() => ShrinkToFitInputDto)
  shrinkToFit?: ShrinkToFitInputDto | null;
}

export class UpdateBudgetDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @MicroUsdPropertyOptional({ description: 'Hard cap per period, micro-USD' })
  @IsOptional()
  @IsMicroUsd()
  capMicroUsd?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  softThresholdPct?: number;

  @ApiPropertyOptional({ type: ShrinkToFitInputDto, nullable: true, description: `${SHRINK_DESCRIPTION} Send null to turn it off.` })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsObject({ message: 'must be an object { minOutputTokens } or null' })
  @ValidateNested()
  @Type(() => ShrinkToFitInputDto)
  shrinkToFit?: ShrinkToFitInputDto | null;

  @ApiPropertyOptional({ type: BudgetScopeInputDto, description: 'Immutable: accepted only when unchanged (400 otherwise — create a new budget)' })
  @IsOptional()
  @IsObject({ message: 'must be an object { type, id }' })
  @ValidateNested()
  @Type(() => BudgetScopeInputDto)
  scope?: BudgetScopeInputDto;

  @ApiPropertyOptional({ enum: BUDGET_PERIODS, description: 'Immutable: accepted only when unchanged (400 otherwise)' })
  @IsOptional()
  @IsIn(BUDGET_PERIODS)
  period?: BudgetPeriod;

  @ApiPropertyOptional({ enum: BUDGET_COUNT_FROM, description: 'Immutable: accepted only when unchanged (400 otherwise)' })
  @IsOptional()
  @IsIn(BUDGET_COUNT_FROM)
  countFrom?: BudgetCountFrom;
}

export class BudgetScopeDto {
  @ApiProperty({ enum: [...BUDGET_SCOPES, 'credits'], description: '`credits`: the Vaultrun credits balance (docs/managed.md), kept by the instance: read-only here' }) type!: BudgetScope;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The workspace's, account's, operator's or API token's name (null once deleted)" }) label!: string | null;
}

/** The budget's current period (UTC), read from the ledger. */
export class BudgetPeriodDto {
  @ApiProperty({ format: 'date-time', example: '2026-11-01T00:00:00.000Z', description: 'Lifetime budgets: 1970-01-01' }) periodStart!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Exclusive; null for lifetime' }) periodEnd!: string | null;
  @ApiProperty({
    format: 'date-time',
    description: 'Where the counting of this period starts: the period start, or — for a budget that counts from its creation, in its first period — its creation',
  })
  countingFrom!: string;
  @MicroUsdProperty({ description: 'Settled spend of runs in this period' }) spentMicroUsd!: number;
  @MicroUsdProperty({ description: 'Of spent: what runs had cost in this period before the budget was created (countFrom period_start); 0 otherwise' })
  openingMicroUsd!: number;
  @MicroUsdProperty({ description: 'Worst cases held by runs in flight' }) heldMicroUsd!: number;
  @MicroUsdProperty({ description: 'cap − spent − held, never below 0' }) remainingMicroUsd!: number;
  @MicroUsdProperty({ nullable: true, description: 'Spend so far extrapolated linearly to the end of the period; null for lifetime' }) projectedMicroUsd!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When spend crossed the soft threshold in this period (the alert was raised)' }) alertedAt!: string | null;
  @ApiProperty({ description: 'spent ≥ softThresholdPct % of the cap' }) softThresholdReached!: boolean;
  @MicroUsdProperty({ description: 'What settlements cost above their holds this period (a provider counted more prompt tokens than Vaultrun held); included in spent' })
  overageMicroUsd!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the latest overage of this period happened (the budget.overage alert); null without one' })
  overageAt!: string | null;
  @ApiProperty({
    description:
      'Paused by an overage: no run is admitted until every run in flight when it happened has settled (or an admin changes the cap). Exhausted by spend alone shows as remainingMicroUsd 0',
  })
  exhausted!: boolean;
}

export class BudgetShrinkDto {
  @ApiProperty({ description: 'Runs are never shrunk below this many max output tokens' }) minOutputTokens!: number;
}

export class BudgetDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: BudgetScopeDto }) scope!: BudgetScopeDto;
  @ApiProperty({ enum: BUDGET_PERIODS }) period!: BudgetPeriod;
  @ApiProperty({ enum: BUDGET_COUNT_FROM, description: COUNT_FROM_DESCRIPTION }) countFrom!: BudgetCountFrom;
  @MicroUsdProperty() capMicroUsd!: number;
  @ApiProperty({ minimum: 1, maximum: 100 }) softThresholdPct!: number;
  @ApiProperty({ type: BudgetShrinkDto, nullable: true, description: 'Shrink-to-fit (null: off — a run that does not fit is blocked)' }) shrinkToFit!: BudgetShrinkDto | null;
  @ApiProperty({ type: BudgetPeriodDto }) currentPeriod!: BudgetPeriodDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class BudgetListDto {
  @ApiProperty({ type: [BudgetDto] }) items!: BudgetDto[];
}
