import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { MANAGED_OFFERS, type ManagedOffer } from '@vaultrun/db';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsDefined, IsIn, IsObject, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { CreateProviderAccountDto, LimitsDto } from '../vault/provider-accounts.dto.js';

/** Each workspace's share of a managed account: its connector's limits. */
export class ManagedShareDto {
  @ApiProperty({ minimum: 1, maximum: 1000, description: 'Calls in flight at once per workspace on this account' })
  @IsInt()
  @Min(1)
  @Max(1000)
  maxConcurrency!: number;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1_000_000, description: 'Requests per minute per workspace (null: no limit)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  requestsPerMinute?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1_000_000_000, description: 'Tokens per minute per workspace (null: no limit)' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  tokensPerMinute?: number | null;
}

/**
 * A managed account: the vault's fields of an account (its `limits` are the account's own, shared by every workspace's
 * calls together), how it is offered, and each workspace's share.
 */
export class CreateManagedAccountDto extends PickType(CreateProviderAccountDto, ['name', 'kind', 'baseUrl', 'preset', 'apiVersion', 'apiKey', 'defaultModel', 'mock', 'limits'] as const) {
  @ApiProperty({ enum: MANAGED_OFFERS, description: '`all`: every workspace, present and future; `chosen`: the workspaces in `workspaceIds`' })
  @IsIn(MANAGED_OFFERS)
  offer!: ManagedOffer;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'With `chosen`: the workspaces it is offered to' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  workspaceIds?: string[];

  @ApiProperty({ type: ManagedShareDto })
  @IsDefined({ message: 'is required: each workspace\'s share (at least maxConcurrency)' })
  @IsObject()
  @ValidateNested()
  @Type(() => ManagedShareDto)
  share!: ManagedShareDto;
}

export class UpdateManagedAccountDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ enum: MANAGED_OFFERS })
  @IsOptional()
  @IsIn(MANAGED_OFFERS)
  offer?: ManagedOffer;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  workspaceIds?: string[];

  @ApiPropertyOptional({ type: ManagedShareDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ManagedShareDto)
  share?: ManagedShareDto;

  @ApiPropertyOptional({ type: LimitsDto, description: "The account's own limits: every workspace's calls on it together" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LimitsDto)
  limits?: LimitsDto;
}

export class RotateManagedKeyDto {
  @ApiProperty({ description: 'The new key (write-only); checked with the provider before it replaces the old one' })
  @IsString()
  @Length(1, 500)
  apiKey!: string;
}

export class ManagedShareViewDto {
  @ApiProperty() maxConcurrency!: number;
  @ApiProperty({ type: Number, nullable: true }) requestsPerMinute!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tokensPerMinute!: number | null;
}

export class ManagedAccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ type: String, nullable: true }) baseUrl!: string | null;
  @ApiProperty({ type: String, nullable: true }) defaultModel!: string | null;
  @ApiProperty({ type: [String] }) models!: string[];
  @ApiProperty() status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The key hint (first and last characters); the key itself is never shown' }) keyHint!: string | null;
  @ApiProperty({ enum: MANAGED_OFFERS }) offer!: ManagedOffer;
  @ApiProperty({ type: [String], format: 'uuid', description: 'With `chosen`: the workspaces it is offered to (empty with `all`)' }) workspaceIds!: string[];
  @ApiProperty({ description: 'Workspaces it is offered to now (with `all`: every workspace)' }) workspaces!: number;
  @ApiProperty({ type: ManagedShareViewDto, description: "Each workspace's share: its connector's limits" }) share!: ManagedShareViewDto;
  @ApiProperty({ type: ManagedShareViewDto, description: "The account's own limits, shared by every workspace's calls together" }) limits!: ManagedShareViewDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ManagedAccountListDto {
  @ApiProperty({ type: [ManagedAccountDto] }) items!: ManagedAccountDto[];
}

export class InstanceSettingsDto {
  @ApiProperty({ minimum: 1, maximum: 100000, description: 'Managed usage is priced at the provider cost × this ÷ 1000 (1000: at cost; 1250: +25 %)' })
  priceMultiplierPermille!: number;
  @ApiProperty({ minimum: 1, maximum: 100, description: 'A workspace is alerted (banner, audit, webhook) when this share of its credits is used' })
  lowBalanceAlertPct!: number;
}

export class UpdateInstanceSettingsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  priceMultiplierPermille?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  lowBalanceAlertPct?: number;
}
