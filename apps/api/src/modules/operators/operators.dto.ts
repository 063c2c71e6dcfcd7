import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OUTPUT_FORMATS, type OutputFormat } from '@vaultrun/db';
import { IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ListQueryDto, sortValues } from '../../common/list-query.js';
import { IsMicroUsd, MicroUsdProperty, MicroUsdPropertyOptional } from '../../common/money.js';

class OperatorFields {
  @ApiPropertyOptional({ maxLength: 1000, example: 'Summarises a support ticket in three bullet points' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({ maxLength: 100_000, description: 'The system prompt', example: 'You summarise support tickets. Answer with three short bullet points.' })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  instructions?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Null: the workspace default account' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID('all', { message: 'must be a UUID' })
  accountId?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: "Null: the account's default model" })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Length(1, 200)
  model?: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 0, maximum: 2 })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 200_000, default: 1024 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  maxOutputTokens?: number;

  @ApiPropertyOptional({ enum: OUTPUT_FORMATS, default: 'text' })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  outputFormat?: OutputFormat;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Required when outputFormat is json_schema; the output is validated against it', example: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'], additionalProperties: false } })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsObject()
  outputSchema?: Record<string, unknown> | null;

  @MicroUsdPropertyOptional({
    nullable: true,
    description: "Per-run cost cap in micro-USD (50000 = $0.05): a run whose worst case exceeds it is refused (402 cost_cap_exceeded). Null: no cap",
    example: 50_000,
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsMicroUsd()
  costCapMicroUsd?: number | null;
}

export class CreateOperatorDto extends OperatorFields {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ticket summariser' })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class UpdateOperatorDto extends OperatorFields {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class OperatorDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() instructions!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) accountId!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: Number, nullable: true }) temperature!: number | null;
  @ApiProperty() maxOutputTokens!: number;
  @ApiProperty({ enum: OUTPUT_FORMATS }) outputFormat!: OutputFormat;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) outputSchema!: Record<string, unknown> | null;
  @MicroUsdProperty({ nullable: true, description: 'Per-run cost cap, micro-USD; null: none' }) costCapMicroUsd!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export const OPERATOR_SORTS = { name: 'lower(o.name)', created: 'o.created_at', updated: 'o.updated_at', model: 'o.model' } as const;

export class ListOperatorsQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only operators bound to this provider account' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  accountId?: string;

  @ApiPropertyOptional({ enum: OUTPUT_FORMATS })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  outputFormat?: OutputFormat;

  @ApiPropertyOptional({
    enum: ['usable', 'unusable'],
    description: "`unusable`: operators whose own provider account cannot run now (invalid key, quota exhausted, disabled, or gone); `usable`: the others",
  })
  @IsOptional()
  @IsIn(['usable', 'unusable'])
  health?: 'usable' | 'unusable';

  @ApiPropertyOptional({ enum: sortValues(Object.keys(OPERATOR_SORTS)), default: 'name', description: 'A column, ascending; prefixed with "-", descending' })
  @IsOptional()
  @IsIn(sortValues(Object.keys(OPERATOR_SORTS)))
  sort?: string;
}

export class OperatorListDto {
  @ApiProperty({ type: [OperatorDto] }) items!: OperatorDto[];
  @ApiProperty({ description: 'Operators matching the search and filters (all pages)' }) total!: number;
}
