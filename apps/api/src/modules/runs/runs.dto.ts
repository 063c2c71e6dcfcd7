import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RUN_KINDS, RUN_STATUSES, type RunKind, type RunStatus } from '@vaultrun/db';
import { COST_LABELS, type CostLabel } from '@vaultrun/money';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsDate, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { MicroUsdProperty } from '../../common/money.js';
import { PageQueryDto } from '../../common/pagination.js';

export class CreateRunDto {
  @ApiProperty({ format: 'uuid', description: 'The operator to run' })
  @IsUUID('all', { message: 'must be a UUID' })
  operatorId!: string;

  @ApiProperty({ maxLength: 200_000, description: "The user message (the operator's instructions are the system prompt)", example: 'Customer says the export button does nothing on Safari.' })
  @IsString()
  @MaxLength(200_000)
  input!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Override the operator's (or the workspace's default) provider account" })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  accountId?: string;

  @ApiPropertyOptional({ maxLength: 200, description: "Override the operator's (or the account's default) model" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;
}

const csv = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter(Boolean) : value);

export class ListRunsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One or more statuses, comma-separated', example: 'queued,waiting,running' })
  @IsOptional()
  @Transform(csv)
  @IsArray()
  @IsIn(RUN_STATUSES, { each: true, message: `each value must be one of ${RUN_STATUSES.join(', ')}` })
  status?: RunStatus[];

  @ApiPropertyOptional({ enum: RUN_KINDS })
  @IsOptional()
  @IsIn(RUN_KINDS)
  kind?: RunKind;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  operatorId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  accountId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Started by this API token (e.g. an app calling the gateway)' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  tokenId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  until?: Date;
}

export class RunUsageDto {
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiProperty() cachedInputTokens!: number;
}

export class RunErrorDto {
  @ApiProperty({ example: 'invalid_api_key' }) code!: string;
  @ApiProperty({ example: 'Invalid API key — verify the full key was copied' }) message!: string;
}

export class RunTimingsDto {
  @ApiProperty({ format: 'date-time' }) queuedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last provider call started' }) providerStartedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The provider\'s first byte (response headers)' }) firstByteAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Provider time of the successful call, ms' }) providerLatencyMs!: number | null;
}

export class RunStartedByDto {
  @ApiProperty({ enum: ['user', 'token', 'system'] }) type!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The user's email or the API token's name (null once deleted)" }) label!: string | null;
}

export class RunEventDto {
  @ApiProperty({ example: 'waiting' }) type!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class RunGatewayDto {
  @ApiProperty({ enum: ['chat.completions', 'responses', 'embeddings', 'messages'] }) endpoint!: string;
  @ApiProperty() stream!: boolean;
  @ApiProperty({ description: 'The model name the app sent (a route, `account/model`, or a model of the default account); `model` is what the provider was asked for' })
  requestedModel!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The route it resolved through' }) routeId!: string | null;
  @ApiProperty({ description: 'Provider attempts, fallbacks included (each one is in the events)' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, enum: ['provider', 'counted', null], description: 'Where the usage came from: the provider, or counted from the streamed text (client gone, no usage sent)' })
  usageSource!: string | null;
  @ApiProperty({ description: 'The client closed the connection before the answer was complete' }) clientDisconnected!: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'Time to first byte sent to the app, ms from its request' }) ttfbMs!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'From the request to the last byte and the record, ms' }) totalMs!: number | null;
}

export class RunBlockedByDto {
  @ApiProperty({ format: 'uuid' }) budgetId!: string;
  @ApiProperty({ type: String, nullable: true, description: "The budget's name (null once it was deleted)" }) budgetName!: string | null;
}

export class RunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: RUN_KINDS }) kind!: RunKind;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Why it waits or was blocked, in words' }) statusReason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a waiting run tries again' }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) operatorId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The operator's current name (null once deleted)" }) operatorName!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) parentRunId!: string | null;
  @ApiProperty({ type: RunStartedByDto }) startedBy!: RunStartedByDto;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The account actually used (null for a mission run, which calls no provider itself)' })
  accountId!: string | null;
  @ApiProperty({ enum: ['credits', 'own_key'], nullable: true, description: 'Who pays (docs/managed.md): Vaultrun credits (a managed connector) or your own key; null for a mission run' })
  paidWith!: 'credits' | 'own_key' | null;
  @ApiProperty({ type: String, nullable: true, description: '"Vaultrun credits" or "Your key (account name)"' })
  paidWithLabel!: string | null;
  @ApiProperty({ description: 'The model actually used (empty for a mission run)' }) model!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The mission of a copilot run, a mission run or a mission step' })
  missionId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "A mission step's id in its plan" }) planStep!: string | null;
  @ApiProperty() input!: string;
  @ApiProperty({ type: String, nullable: true }) output!: string | null;
  @ApiProperty({
    nullable: true,
    description: 'The parsed output when the operator returns JSON (any JSON value the schema allows)',
    oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }, { type: 'string' }, { type: 'number' }, { type: 'boolean' }],
  })
  outputJson!: unknown;
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ description: 'Provider calls made (a worker stopped mid-call may add one)' }) providerCalls!: number;
  @ApiProperty({ type: RunUsageDto, nullable: true, description: 'Tokens the provider reported' }) usage!: RunUsageDto | null;
  @ApiProperty({ type: String, nullable: true }) providerRequestId!: string | null;
  @ApiProperty({ type: RunErrorDto, nullable: true, description: 'The mapped error, in words' }) error!: RunErrorDto | null;
  @MicroUsdProperty({ nullable: true, description: 'What the run cost; null while unknown (never a made-up 0) — see costLabel' }) costMicroUsd!: number | null;
  @ApiProperty({
    type: String,
    enum: COST_LABELS,
    nullable: true,
    description: 'How far the cost can be trusted: verified (by the provider), estimated (tokens × price), pending_sync, unavailable. Null until the run reaches a provider',
  })
  costLabel!: CostLabel | null;
  @MicroUsdProperty({ nullable: true, description: 'The worst case held against budgets for the provider call (null: the model has no price)' }) estimateMicroUsd!: number | null;
  @MicroUsdProperty({ nullable: true, description: "The operator's per-run cost cap when the run was started" }) costCapMicroUsd!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The prompt tokens the worst case held for: the estimate of everything sent × the calibrated factor + margin (null before the call was priced)',
  })
  promptTokensHeld!: number | null;
  @MicroUsdProperty({
    nullable: true,
    description: 'What the call cost above the worst case held for it (the provider counted more than Vaultrun held); charged in full, and it paused the run\'s budgets. Null when it did not',
  })
  overageMicroUsd!: number | null;
  @ApiProperty({ description: 'Max output tokens the run used (after shrink-to-fit, if a budget reduced it)' }) maxOutputTokens!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Shrink-to-fit: the max output tokens asked for, when a budget reduced maxOutputTokens to fit its headroom; null otherwise' })
  requestedMaxOutputTokens!: number | null;
  @ApiProperty({ type: RunBlockedByDto, nullable: true, description: 'The budget that refused the run (status blocked); null otherwise, or when the per-run cost cap did' })
  blockedBy!: RunBlockedByDto | null;
  @ApiProperty({ type: RunTimingsDto }) timings!: RunTimingsDto;
  @ApiProperty({ type: RunGatewayDto, nullable: true, description: 'A gateway call (kind `gateway`): what the app asked for and how it was served; null for every other kind' })
  gateway!: RunGatewayDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class RunDetailDto extends RunDto {
  @ApiProperty({ type: [RunEventDto], description: 'The timeline, oldest first' }) events!: RunEventDto[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The comparison a comparison run is one side of' }) comparisonId!: string | null;
}

export class RunPageDto {
  @ApiProperty({ type: [RunDto] }) items!: RunDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AccountQueueDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() queued!: number;
  @ApiProperty() waiting!: number;
  @ApiProperty() running!: number;
  @ApiProperty({ description: 'Provider calls in flight right now (from the global limiter)' }) inFlight!: number;
  @ApiProperty() maxConcurrency!: number;
}

export class QueueHealthDto {
  @ApiProperty({ type: [AccountQueueDto] }) accounts!: AccountQueueDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description:
      "This workspace's unfinished runs you may see, by queue state: wait = queued, delayed = waiting, active = running. (The BullMQ queue is shared by every workspace of the instance: its own counts are on /metrics, for the instance's operator.)",
    example: { wait: 0, active: 2, delayed: 5 },
  })
  jobs!: Record<string, number>;
}

/** One server-sent `run` event of GET /api/v1/runs/stream. */
export class RunChangeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiPropertyOptional({ enum: RUN_KINDS }) kind?: RunKind;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) operatorId?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) accountId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) statusReason?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) nextAttemptAt?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) errorCode?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The mission of a copilot run, a mission run or a step' }) missionId?: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the change happened' }) at!: string;
}
