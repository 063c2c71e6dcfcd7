import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TOKEN_BILLINGS, TOKEN_SCOPES, type TokenBilling, type TokenScope } from '@vaultrun/db';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDate, IsIn, IsOptional, IsString, Length, Matches, MinDate } from 'class-validator';
import { ListQueryDto, sortValues } from '../../common/list-query.js';

export class CreateTokenDto {
  @ApiProperty({ example: 'Support bot', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({
    enum: TOKEN_SCOPES,
    isArray: true,
    example: ['run'],
    description: '`read`: view; `run`: view and start runs on permitted accounts; `admin`: manage the workspace (not tokens); `inference`: call models through the OpenAI-compatible gateway (/v1/*) only',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(TOKEN_SCOPES.length)
  @ArrayUnique()
  @IsIn(TOKEN_SCOPES, { each: true, message: `each value must be one of ${TOKEN_SCOPES.join(', ')}` })
  scopes!: TokenScope[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    example: ['fast', 'Mock provider/mock-fast', 'gpt-4o*'],
    description:
      'Gateway: the model names this token may call, as an app sends them (a route name, `account/model`, or a model of the workspace default account); an entry ending in `*` matches by prefix. Omit (or null) for every model its accounts allow',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  // Names as apps send them (account names may hold spaces): no control characters, no edge spaces, `*` only at the end.
  @Matches(/^[^\p{Cc}*\s](?:[^\p{Cc}*]*[^\p{Cc}*\s])?\*?$/u, {
    each: true,
    message: 'each entry must be a model name (no control characters or surrounding spaces), optionally ending in *',
  })
  allowedModels?: string[];

  @ApiPropertyOptional({
    enum: TOKEN_BILLINGS,
    default: 'any',
    description: 'Which accounts the token may use (docs/managed.md): any, only managed connectors (paid with Vaultrun credits), or only the workspace\'s own keys',
  })
  @IsOptional()
  @IsIn(TOKEN_BILLINGS)
  billing?: TokenBilling;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the token stops working; omit for no expiry', example: '2030-01-01T00:00:00Z' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'must be in the future' })
  expiresAt?: Date;
}

export class ApiTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'vr_Ab12Cd34', description: 'The visible start of the token; the rest is never shown again' }) prefix!: string;
  @ApiProperty({ enum: TOKEN_SCOPES, isArray: true }) scopes!: TokenScope[];
  @ApiProperty({ type: [String], nullable: true, description: 'Gateway: the model names this token may call (null: every model its accounts allow)' }) allowedModels!: string[] | null;
  @ApiProperty({ enum: TOKEN_BILLINGS, description: 'Which accounts the token may use: any, only Vaultrun credits, or only own keys' }) billing!: TokenBilling;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) status!: 'active' | 'expired' | 'revoked';
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) createdById!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

export class CreatedTokenDto extends ApiTokenDto {
  @ApiProperty({ description: 'The full token. Shown this once; store it now.', example: 'vr_Ab12Cd34…' })
  token!: string;
}

export const TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;
export const TOKEN_SORTS = { name: 'LOWER(t.name)', created: 't.createdAt', lastUsed: 't.lastUsedAt', expires: 't.expiresAt' } as const;

export class ListTokensQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: TOKEN_STATUSES })
  @IsOptional()
  @IsIn(TOKEN_STATUSES)
  status?: (typeof TOKEN_STATUSES)[number];

  @ApiPropertyOptional({ enum: TOKEN_SCOPES, description: 'Only tokens holding this scope' })
  @IsOptional()
  @IsIn(TOKEN_SCOPES)
  scope?: TokenScope;

  @ApiPropertyOptional({ enum: sortValues(Object.keys(TOKEN_SORTS)), default: '-created', description: 'A column, ascending; prefixed with "-", descending' })
  @IsOptional()
  @IsIn(sortValues(Object.keys(TOKEN_SORTS)))
  sort?: string;
}

export class TokenListDto {
  @ApiProperty({ type: [ApiTokenDto] }) items!: ApiTokenDto[];
  @ApiProperty({ description: 'Tokens matching the search and filters (all pages)' }) total!: number;
}
