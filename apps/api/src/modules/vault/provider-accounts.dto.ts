import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_KINDS, ACCOUNT_STATUSES, type AccountKind, type AccountStatus, VISIBILITIES, type Visibility } from '@vaultrun/db';
import { API_KEY_SHAPES, OPENAI_COMPATIBLE_PRESET_IDS, type OpenAiCompatiblePresetId, PROVIDER_ERROR_CODES, type ProviderErrorCode } from '@vaultrun/providers';
import { Transform, Type } from 'class-transformer';
import { commaList, ListQueryDto, sortValues } from '../../common/list-query.js';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const URL_OPTIONS: Parameters<typeof IsUrl>[0] = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
/** Azure's api-version: a date, optionally -preview (2024-10-21, 2025-04-01-preview). */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const API_VERSION_MESSAGE = 'must look like 2024-10-21 or 2025-04-01-preview';

export class LimitsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 4, description: 'Provider calls in flight at once, across every worker' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxConcurrency?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1_000_000, description: 'Requests per minute (null: no limit)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  requestsPerMinute?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1_000_000_000, description: 'Tokens per minute (null: no limit)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  tokensPerMinute?: number | null;
}

export class MockSettingsDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 120_000, description: 'Latency of every call, in ms' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(120_000)
  latencyMs?: number;

  @ApiPropertyOptional({ enum: [...PROVIDER_ERROR_CODES, null], nullable: true, description: 'Make every call fail with this provider error (null: never)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsIn(PROVIDER_ERROR_CODES)
  failWith?: ProviderErrorCode | null;

  @ApiPropertyOptional({ description: 'Report a provider cost with each answer (shows "Verified by Provider" costs)' })
  @IsOptional()
  @IsBoolean()
  reportCost?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['mock-fast', 'mock-smart'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  models?: string[];
}

class AccessFields {
  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'workspace', description: '`workspace`: every member may use it; `restricted`: only the listed members and API tokens (and owners/admins)' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Members allowed to use a restricted account' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  allowedUserIds?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'API tokens allowed to use a restricted account' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  allowedTokenIds?: string[];
}

export class CreateProviderAccountDto extends AccessFields {
  @ApiProperty({ example: 'Team OpenAI', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: ACCOUNT_KINDS, example: 'openai' })
  @IsIn(ACCOUNT_KINDS)
  kind!: AccountKind;

  @ApiPropertyOptional({
    example: 'https://openrouter.ai/api/v1',
    description:
      'Required for openai-compatible (unless a preset gives it) and for azure-openai (the resource endpoint, https://<resource>.openai.azure.com); ' +
      'optional for openai, anthropic and gemini (default: the provider\'s own API). The key is bound to this origin.',
  })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  @Length(1, 500)
  baseUrl?: string;

  @ApiPropertyOptional({
    enum: OPENAI_COMPATIBLE_PRESET_IDS,
    description:
      'openai-compatible only: start from a known host — its base URL (unless baseUrl is given), key checks and defaults. Hosted presets are recognised by their base URL afterwards (prices, JSON mode, reported costs).',
  })
  @IsOptional()
  @IsIn(OPENAI_COMPATIBLE_PRESET_IDS)
  preset?: OpenAiCompatiblePresetId;

  @ApiPropertyOptional({ example: '2024-10-21', description: 'azure-openai only: the api-version its calls send (default 2024-10-21)' })
  @IsOptional()
  @IsString()
  @Matches(API_VERSION, { message: API_VERSION_MESSAGE })
  apiVersion?: string;

  @ApiPropertyOptional({ description: 'Write-only. Never returned by any endpoint; only a hint and a fingerprint are.', example: 'sk-proj-…' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  apiKey?: string;

  @ApiPropertyOptional({ example: 'gpt-4.1-mini', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  defaultModel?: string;

  @ApiPropertyOptional({ type: LimitsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LimitsDto)
  limits?: LimitsDto;

  @ApiPropertyOptional({ type: MockSettingsDto, description: 'kind mock only' })
  @IsOptional()
  @ValidateNested()
  @Type(() => MockSettingsDto)
  mock?: MockSettingsDto;

  @ApiPropertyOptional({ default: true, description: 'List the provider\'s models right after saving' })
  @IsOptional()
  @IsBoolean()
  verify?: boolean;
}

/**
 * Metadata. The key is write-only and changes through rotate — with one exception: a new base URL for an account that
 * holds a key must carry the key again (`apiKey`), because a stored key is bound to its endpoint and is never sent to
 * another one.
 */
export class UpdateProviderAccountDto extends AccessFields {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  @Length(1, 500)
  baseUrl?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Length(1, 200)
  defaultModel?: string | null;

  @ApiPropertyOptional({ type: LimitsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LimitsDto)
  limits?: LimitsDto;

  @ApiPropertyOptional({ type: MockSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => MockSettingsDto)
  mock?: MockSettingsDto;

  @ApiPropertyOptional({ type: String, nullable: true, example: '2025-04-01-preview', description: 'azure-openai only: the api-version (null: the default)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Matches(API_VERSION, { message: API_VERSION_MESSAGE })
  apiVersion?: string | null;

  @ApiPropertyOptional({ description: 'false disables the account (nothing may use it); true re-enables it as unverified' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    description:
      'Write-only. Required with a new `baseUrl` when the account holds a key (else 409 `key_required_for_endpoint_change`): the key for the new endpoint, ' +
      'checked there (list models) before anything is saved. Not accepted without a base URL change (use rotate).',
    example: 'sk-proj-…',
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  apiKey?: string;
}

export class RotateKeyDto {
  @ApiProperty({ description: 'The new key (write-only)', example: 'sk-proj-…' })
  @IsString()
  @Length(1, 500)
  apiKey!: string;

  @ApiPropertyOptional({ default: true, description: 'Check the new key with the provider before switching; a refused key is not saved' })
  @IsOptional()
  @IsBoolean()
  verify?: boolean;
}

export class AdminKeyDto {
  @ApiProperty({
    description: 'Write-only; enables cost sync. An OpenAI admin key (sk-admin-…) on an openai account, an Anthropic Admin API key (sk-ant-admin…) on an anthropic account',
    example: 'sk-admin-…',
  })
  @IsString()
  @Length(1, 500)
  adminKey!: string;
}

export class KeyInfoDto {
  @ApiProperty({ example: 'sk-proj-…a1b2' }) hint!: string;
  @ApiProperty({ example: 'sha256:3f2a9c0d1b7e4a55' }) fingerprint!: string;
  @ApiProperty({ enum: [...API_KEY_SHAPES, 'none'], description: 'The key\'s recognised format (none: a key of a kind without known formats)' }) shape!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ProblemBriefDto {
  @ApiProperty({ example: 'invalid_api_key' }) code!: string;
  @ApiProperty({ example: 'Invalid API key — verify the full key was copied' }) message!: string;
}

export class WarningDto {
  @ApiProperty({
    example: 'limits_exceed_provider',
    description: 'unknown_key_shape, limits_exceed_provider, low_provider_tier, or default_model_not_listed (the default model is not among the verified models)',
  })
  code!: string;
  @ApiProperty() message!: string;
}

export class RateLimitWindowDto {
  @ApiProperty({ type: Number, nullable: true }) limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) remaining!: number | null;
  @ApiProperty({ type: Number, nullable: true }) resetMs!: number | null;
}

export class ProviderLimitsDto {
  @ApiProperty({ type: RateLimitWindowDto, nullable: true }) requests!: RateLimitWindowDto | null;
  @ApiProperty({ type: RateLimitWindowDto, nullable: true }) tokens!: RateLimitWindowDto | null;
  @ApiProperty({ format: 'date-time' }) observedAt!: string;
}

export class AccountLimitsDto {
  @ApiProperty() maxConcurrency!: number;
  @ApiProperty({ type: Number, nullable: true }) requestsPerMinute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tokensPerMinute!: number | null;
}

export class AccountAccessDto {
  @ApiProperty({ type: [String], format: 'uuid' }) userIds!: string[];
  @ApiProperty({ type: [String], format: 'uuid' }) tokenIds!: string[];
}

export class MockSettingsViewDto {
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ type: String, nullable: true }) failWith!: string | null;
  @ApiProperty() reportCost!: boolean;
  @ApiProperty({ type: [String] }) models!: string[];
}

const MICRO_USD = { type: 'integer', format: 'int64' } as const;

export class CostSyncStatusDto {
  @ApiProperty({ description: 'An admin key is stored, so the scheduled cost sync reads this account\'s provider costs' }) enabled!: boolean;
  @ApiProperty({ type: String, format: 'date', nullable: true, description: 'The latest closed UTC day the provider published and Vaultrun compared' })
  lastSyncedDay!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When that day was last checked' }) lastCheckedAt!: string | null;
  @ApiProperty({ enum: ['matched', 'drift'], nullable: true, type: String, description: 'matched: within max($0.01, 1%), its runs are verified' })
  status!: 'matched' | 'drift' | null;
  @ApiProperty({ ...MICRO_USD, nullable: true, description: 'What the provider billed that day' }) providerMicroUsd!: number | null;
  @ApiProperty({ ...MICRO_USD, nullable: true, description: 'What Vaultrun recorded for this account that day' }) vaultrunMicroUsd!: number | null;
  @ApiProperty({ ...MICRO_USD, nullable: true, description: 'provider − Vaultrun; positive: the key was used outside Vaultrun, or prices differ' })
  driftMicroUsd!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last sync attempt, successful or not (null: never tried)' })
  lastAttemptAt!: string | null;
  @ApiProperty({
    type: ProblemBriefDto,
    nullable: true,
    description: "Why the last attempt could not read or record the provider's costs (e.g. invalid_api_key: the admin key was refused); null when it succeeded",
  })
  lastError!: ProblemBriefDto | null;
}

export class CostSyncDayDto {
  @ApiProperty({ format: 'date', example: '2026-03-01', description: 'A closed UTC day' }) day!: string;
  @ApiProperty({ enum: ['matched', 'drift'] }) status!: 'matched' | 'drift';
  @ApiProperty({ ...MICRO_USD }) providerMicroUsd!: number;
  @ApiProperty({ ...MICRO_USD }) vaultrunMicroUsd!: number;
  @ApiProperty({ ...MICRO_USD, description: 'provider − Vaultrun' }) driftMicroUsd!: number;
  @ApiProperty({ ...MICRO_USD, description: 'The correction applied to budget spend for this day (so spend equals the provider\'s figure)' })
  appliedMicroUsd!: number;
  @ApiProperty({ description: 'How many times the day was checked (it is re-checked for two more days)' }) checks!: number;
  @ApiProperty({ format: 'date-time' }) lastCheckedAt!: string;
}

export class CostSyncDaysDto {
  @ApiProperty({ type: CostSyncStatusDto, nullable: true, description: 'null for accounts without a provider cost report (all but OpenAI and Anthropic)' })
  costSync!: CostSyncStatusDto | null;
  @ApiProperty({ type: [CostSyncDayDto], description: 'The last 31 days checked, newest first' }) items!: CostSyncDayDto[];
}

export class CostSyncRequestedDto {
  @ApiProperty({ description: 'The queued cost-sync job' }) jobId!: string;
  @ApiProperty({ format: 'uuid' }) accountId!: string;
}

export class CostReportingDto {
  @ApiProperty({
    enum: ['per_call', 'cost_sync', 'estimated_only', 'not_billed'],
    description:
      'per_call: the provider reports each call\'s cost (Verified by Provider at once: OpenRouter, the mock with reportCost); cost_sync: estimated, then verified day by day from the provider\'s cost report once an admin key is set (OpenAI, Anthropic); estimated_only: the provider offers no cost report Vaultrun can read (Azure OpenAI, Gemini, other compatible servers), costs stay Estimated by Vaultrun; not_billed: the mock without reported costs',
  })
  mode!: 'per_call' | 'cost_sync' | 'estimated_only' | 'not_billed';
  @ApiProperty({ description: 'Why, in a sentence for the console' }) explanation!: string;
}

export class ProviderAccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ACCOUNT_KINDS }) kind!: AccountKind;
  @ApiProperty({ type: String, nullable: true }) baseUrl!: string | null;
  @ApiProperty({ type: String, nullable: true }) defaultModel!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'azure-openai: the api-version its calls send (null for other kinds)' }) apiVersion!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: [...OPENAI_COMPATIBLE_PRESET_IDS, null],
    description: 'openai-compatible: the hosted preset its base URL calls (openrouter, groq, together, mistral, deepseek), else null',
  })
  preset!: OpenAiCompatiblePresetId | null;
  @ApiProperty({ type: AccountLimitsDto }) limits!: AccountLimitsDto;
  @ApiProperty({ enum: VISIBILITIES }) visibility!: Visibility;
  @ApiProperty({ type: AccountAccessDto }) access!: AccountAccessDto;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) status!: AccountStatus;
  @ApiProperty({
    type: ProblemBriefDto,
    nullable: true,
    description:
      'Why the last check or call failed, in words, while that state lasts (a rate limit clears with its cooldown, any error with a successful verification): a provider error code, or empty_model_list, malformed_model_list, secret_unreadable, verify_failed',
  })
  lastError!: ProblemBriefDto | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) rateLimitedUntil!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastVerifiedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastCheckedAt!: string | null;
  @ApiProperty({ type: [String], description: 'Models the provider listed at the last verification' }) models!: string[];
  @ApiProperty({
    type: ProviderLimitsDto,
    nullable: true,
    description: 'What the provider reported in its rate-limit headers (x-ratelimit-*, Anthropic\'s anthropic-ratelimit-*); null for providers that send none (Gemini, the mock, most local servers)',
  })
  providerLimits!: ProviderLimitsDto | null;
  @ApiProperty({ type: KeyInfoDto, nullable: true, description: 'Hint and fingerprint of the stored key — never the key' }) key!: KeyInfoDto | null;
  @ApiProperty({ type: KeyInfoDto, nullable: true, description: 'The optional admin key (cost sync)' }) adminKey!: KeyInfoDto | null;
  @ApiProperty({ type: CostSyncStatusDto, nullable: true, description: 'Provider cost sync (OpenAI and Anthropic accounts; null for others): the latest day checked' })
  costSync!: CostSyncStatusDto | null;
  @ApiProperty({ type: CostReportingDto, description: 'How this account\'s costs come to be known, and the label they get' }) costReporting!: CostReportingDto;
  @ApiProperty({ type: MockSettingsViewDto, nullable: true }) mock!: MockSettingsViewDto | null;
  @ApiProperty({ type: [WarningDto] }) warnings!: WarningDto[];
  @ApiProperty({
    description:
      'A managed connector (docs/managed.md): the instance\'s provider account offered to this workspace, paid with Vaultrun credits. It cannot be changed, verified, rotated or deleted here, and its endpoint and key are not shown.',
  })
  managed!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

/** Names sort as people read them, whatever the database's collation: case-insensitively. */
export const ACCOUNT_SORTS = { name: 'LOWER(a.name)', created: 'a.createdAt', status: 'a.status', kind: 'a.kind', lastVerified: 'a.lastVerifiedAt' } as const;

export class ListProviderAccountsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'One or more statuses, comma-separated', example: 'invalid_key,quota_exhausted' })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @IsIn(ACCOUNT_STATUSES, { each: true, message: `each value must be one of ${ACCOUNT_STATUSES.join(', ')}` })
  status?: AccountStatus[];

  @ApiPropertyOptional({ enum: ACCOUNT_KINDS })
  @IsOptional()
  @IsIn(ACCOUNT_KINDS)
  kind?: AccountKind;

  @ApiPropertyOptional({ enum: sortValues(Object.keys(ACCOUNT_SORTS)), default: 'created', description: 'A column, ascending; prefixed with "-", descending' })
  @IsOptional()
  @IsIn(sortValues(Object.keys(ACCOUNT_SORTS)))
  sort?: string;
}

export class ProviderAccountListDto {
  @ApiProperty({ type: [ProviderAccountDto] }) items!: ProviderAccountDto[];
  @ApiProperty({ description: 'Accounts matching the search and filters (all pages)' }) total!: number;
}

export class VerifyResultDto {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ type: ProblemBriefDto, nullable: true }) error!: ProblemBriefDto | null;
  @ApiProperty({ type: ProviderAccountDto }) account!: ProviderAccountDto;
}
