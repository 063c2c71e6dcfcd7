import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_KINDS, type AccountKind, RUN_STATUSES, type RunStatus } from '@vaultrun/db';
import { COST_LABELS, type CostLabel } from '@vaultrun/money';
import { IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { MicroUsdProperty } from '../../common/money.js';
import { PageQueryDto } from '../../common/pagination.js';
import { RunErrorDto } from '../runs/runs.dto.js';

export class CreateComparisonDto {
  @ApiProperty({ format: 'uuid', description: 'The operator whose instructions (and output schema) both runs use' })
  @IsUUID('all', { message: 'must be a UUID' })
  operatorId!: string;

  @ApiProperty({ minLength: 1, maxLength: 200_000, description: 'The user message, sent unchanged to both sides', example: 'Customer says the export button does nothing on Safari.' })
  @IsString()
  @MaxLength(200_000)
  @Matches(/\S/, { message: 'must not be empty' })
  input!: string;

  @ApiProperty({ format: 'uuid', description: 'The live account (OpenAI or OpenAI-compatible) to compare the mock with; never a mock account' })
  @IsUUID('all', { message: 'must be a UUID' })
  liveAccountId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The mock account (default: the workspace's oldest mock account you may use)" })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  mockAccountId?: string;

  @ApiPropertyOptional({ maxLength: 200, description: "The live side's model (default: the operator's model, else the live account's default model)" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  liveModel?: string;
}

export class ListComparisonsQueryDto extends PageQueryDto {}

export class ComparisonOperatorDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The operator's current name (null once deleted)" }) name!: string | null;
}

export class ComparisonUsageDto {
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiProperty() cachedInputTokens!: number;
}

/** A signed amount of micro-USD (a difference), which may be negative. */
const SignedMicroUsdProperty = (description: string) =>
  ApiProperty({ type: 'integer', format: 'int64', nullable: true, minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description });

/** How far the worst case held before the call was from what the call was charged (docs/comparisons.md). */
export class ComparisonEstimateDto {
  @ApiProperty({ description: "Prompt tokens Vaultrun's tokenizer counts in the run's messages (instructions + input) before the call" })
  promptTokensEstimated!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Prompt tokens the worst case holds: the estimate itself on the mock (same tokenizer); estimate × 1.1 + 16 on a live provider. Null once the account is gone',
  })
  promptTokensHeld!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Prompt tokens the provider reported (null until it answers)' }) promptTokensReported!: number | null;
  @ApiProperty({ description: 'Output tokens the worst case allows for (the operator’s max output tokens)' }) maxOutputTokens!: number;
  @MicroUsdProperty({ nullable: true, description: 'The worst case held before the call (the run’s estimateMicroUsd); null until a worker prices it, or when the model has no price' })
  worstCaseMicroUsd!: number | null;
  @MicroUsdProperty({ nullable: true, description: 'What the call was charged (the run’s costMicroUsd); null while unknown — never a made-up 0' })
  chargedMicroUsd!: number | null;
  @ApiProperty({ type: String, enum: COST_LABELS, nullable: true, description: 'How far the charged amount can be trusted (verified, estimated, pending_sync, unavailable)' })
  chargedLabel!: CostLabel | null;
  @SignedMicroUsdProperty('charged − worst case (≤ 0: the worst case covered the call); null while either is unknown')
  differenceMicroUsd!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 0.42, description: 'charged ÷ worst case, rounded to 4 decimals (0.42 = the call cost 42% of what was held); null while either is unknown or the worst case is 0' })
  chargedShareOfWorstCase!: number | null;
}

/** One side of a comparison: a run, reduced to what is compared. */
export class ComparisonSideDto {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Why it waits or was blocked, in words' }) statusReason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a waiting run tries again' }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) accountId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The account's name (null when it was deleted; a comparison with a side on an account you may not see is not shown at all)" }) accountName!: string | null;
  @ApiProperty({ type: String, enum: ACCOUNT_KINDS, nullable: true, description: 'The account kind (null under the same conditions as accountName)' })
  accountKind!: AccountKind | null;
  @ApiProperty({ description: 'The model used' }) model!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The raw output text (kept when it failed the schema, too)' }) output!: string | null;
  @ApiProperty({
    nullable: true,
    description: 'The parsed output when it matched the operator’s JSON Schema',
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }, { type: 'string' }, { type: 'number' }, { type: 'boolean' }],
  })
  outputJson!: unknown;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Whether the output matched the operator’s JSON Schema; null for a text operator, or while there is no output' })
  schemaValid!: boolean | null;
  @ApiProperty({ type: ComparisonUsageDto, nullable: true, description: 'Tokens the provider reported' }) usage!: ComparisonUsageDto | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Provider time of the successful call, ms' }) latencyMs!: number | null;
  @MicroUsdProperty({ nullable: true, description: 'What the run cost; null while unknown (never a made-up 0)' }) costMicroUsd!: number | null;
  @ApiProperty({ type: String, enum: COST_LABELS, nullable: true, description: 'The cost label; null until the run reaches a provider' }) costLabel!: CostLabel | null;
  @ApiProperty({ type: RunErrorDto, nullable: true, description: 'The mapped error, in words' }) error!: RunErrorDto | null;
  @ApiProperty({ type: ComparisonEstimateDto }) estimate!: ComparisonEstimateDto;
}

/** What differs between the two sides (live − mock); each figure is null until both sides have it. */
export class ComparisonDifferencesDto {
  @ApiProperty({ description: 'Both runs ended (succeeded, failed, cancelled or blocked)' }) bothFinished!: boolean;
  @ApiProperty({ type: Boolean, nullable: true, description: 'The outputs are the same (JSON compared as values, text after trimming); null until both have one' })
  outputsEqual!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Both sides matched the schema, or both did not; null for a text operator or until both know' })
  schemaValidityEqual!: boolean | null;
  @ApiProperty({ type: Number, nullable: true, description: 'live − mock prompt tokens reported' }) inputTokensDelta!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'live − mock output tokens reported' }) outputTokensDelta!: number | null;
  @SignedMicroUsdProperty('live − mock cost') costDeltaMicroUsd!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'live − mock provider latency, ms' }) latencyDeltaMs!: number | null;
}

export class ComparisonDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: ComparisonOperatorDto }) operator!: ComparisonOperatorDto;
  @ApiProperty() input!: string;
  @ApiProperty({ enum: ['text', 'json_schema'], description: "What the runs were asked for: text, or JSON matching the operator's schema (copied onto the runs when they started)" })
  outputFormat!: 'text' | 'json_schema';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: ComparisonSideDto, description: 'The run on the mock provider' }) mock!: ComparisonSideDto;
  @ApiProperty({ type: ComparisonSideDto, description: 'The run on the live account' }) live!: ComparisonSideDto;
  @ApiProperty({ type: ComparisonDifferencesDto }) differences!: ComparisonDifferencesDto;
}

export class ComparisonPageDto {
  @ApiProperty({ type: [ComparisonDto] }) items!: ComparisonDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
