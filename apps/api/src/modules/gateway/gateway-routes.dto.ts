import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDate, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { SpendSplitDto } from '../money/spend.dto.js';

/** A public model name: printable ASCII without spaces (it travels as `model` in JSON and in /v1/models/{id}). */
const ROUTE_NAME = /^[\x21-\x7e]{1,200}$/;
/** The same rule for the OpenAPI document (the console's forms check it before sending). */
const ROUTE_NAME_PATTERN = '^[\\x21-\\x7e]{1,200}$';

export class GatewayRouteTargetInputDto {
  @ApiProperty({ format: 'uuid', description: 'A provider account of this workspace' })
  @IsUUID('all', { message: 'must be a UUID' })
  accountId!: string;

  @ApiProperty({ example: 'gpt-4o-mini', minLength: 1, maxLength: 200, description: 'The model to ask that account for' })
  @IsString()
  @Length(1, 200)
  model!: string;
}

export class CreateGatewayRouteDto {
  @ApiProperty({ example: 'fast', minLength: 1, maxLength: 200, pattern: ROUTE_NAME_PATTERN, description: 'The model name apps send (unique in the workspace; printable, no spaces)' })
  @IsString()
  @Matches(ROUTE_NAME, { message: 'must be 1–200 printable characters without spaces' })
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiProperty({ type: [GatewayRouteTargetInputDto], minItems: 1, maxItems: 8, description: 'Tried in order: the first admissible one is used, the next one on a provider 5xx, timeout or rate limit' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => GatewayRouteTargetInputDto)
  targets!: GatewayRouteTargetInputDto[];
}

export class UpdateGatewayRouteDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, pattern: ROUTE_NAME_PATTERN })
  @IsOptional()
  @IsString()
  @Matches(ROUTE_NAME, { message: 'must be 1–200 printable characters without spaces' })
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ type: [GatewayRouteTargetInputDto], minItems: 1, maxItems: 8 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @ValidateNested({ each: true })
  @Type(() => GatewayRouteTargetInputDto)
  targets?: GatewayRouteTargetInputDto[];
}

export class GatewayRouteTargetDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty({ type: String, nullable: true, description: "The account's name (null once it was deleted: the target is then skipped)" }) accountName!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['openai', 'openai-compatible', 'mock'] }) accountKind!: string | null;
  @ApiProperty() model!: string;
}

export class GatewayRouteDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'fast' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [GatewayRouteTargetDto], description: 'In order. Targets on restricted accounts you may not see are left out (see hiddenTargets)' }) targets!: GatewayRouteTargetDto[];
  @ApiProperty({ description: 'Targets on restricted accounts you may not see (they still serve tokens on their lists)' }) hiddenTargets!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class GatewayRouteListDto {
  @ApiProperty({ type: [GatewayRouteDto] }) items!: GatewayRouteDto[];
}

export class GatewayInfoDto {
  @ApiProperty({ example: 'http://localhost:3000/v1', description: "The base URL apps point their OpenAI client at (VAULTRUN_GATEWAY_PUBLIC_URL, default the public URL + /v1)" })
  baseUrl!: string;
  @ApiProperty({ enum: ['keep_bodies', 'metadata_only'], description: "What this workspace's gateway call records keep" }) retention!: string;
  @ApiProperty({ description: 'How long a call waits for an account slot before 429 (ms)' }) maxWaitMs!: number;
  @ApiProperty({ description: 'The largest request body accepted (bytes)' }) bodyLimitBytes!: number;
  @ApiProperty({ description: 'The longest a call may take, streams included (ms)' }) timeoutMs!: number;
  @ApiProperty({ description: 'Output tokens held for a request that sets no limit of its own' }) defaultMaxOutputTokens!: number;
  @ApiProperty({ type: [String], description: 'The endpoints served under the base URL', example: ['POST /chat/completions', 'POST /responses', 'POST /embeddings', 'POST /messages', 'GET /models'] })
  endpoints!: string[];
}

export class GatewayUsageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Calls made at or after; default: 30 days before `until`' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Calls made before; default: now. At most 400 days after `since`' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  until?: Date;
}

export class GatewayUsageTotalsDto {
  @ApiProperty({ description: 'Gateway calls recorded (every status)' }) calls!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ description: 'Refused by a budget' }) blocked!: number;
  @ApiProperty({ description: 'Prompt tokens the provider reported (or that were counted)' }) inputTokens!: number;
  @ApiProperty({ description: 'Output tokens the provider reported (or that were counted)' }) outputTokens!: number;
  @ApiProperty({ type: SpendSplitDto, description: 'What the calls cost, split by cost label (calls that reached a provider)' }) spend!: SpendSplitDto;
}

export class GatewayTokenUsageDto extends GatewayUsageTotalsDto {
  @ApiProperty({ format: 'uuid', description: 'The API token that made the calls' }) tokenId!: string;
  @ApiProperty({ type: String, nullable: true, description: "The token's name (null once deleted)" }) name!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The token's visible prefix (never the token)" }) prefix!: string | null;
}

export class GatewayUsageDto {
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty({ format: 'date-time' }) until!: string;
  @ApiProperty({ type: GatewayUsageTotalsDto, description: 'Every token together' }) total!: GatewayUsageTotalsDto;
  @ApiProperty({ type: [GatewayTokenUsageDto], description: 'One per token with calls in the range, most calls first' }) tokens!: GatewayTokenUsageDto[];
}
