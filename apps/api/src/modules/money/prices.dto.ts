import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsMicroUsd, MicroUsdProperty, MicroUsdPropertyOptional } from '../../common/money.js';

export class SetPriceOverrideDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    example: 'llama3.1',
    description: 'Exact model name, or a family: it also prices dated snapshots (`<model>-…`). One override per model: setting it again replaces it',
  })
  @IsString()
  @Length(1, 200)
  @Matches(/^\S(.*\S)?$/, { message: 'must not start or end with whitespace' })
  model!: string;

  @MicroUsdProperty({ description: 'Micro-USD per 1M input tokens (2500000 = $2.50)', example: 200_000 })
  @IsMicroUsd()
  inputMicroUsdPerM!: number;

  @MicroUsdPropertyOptional({ description: 'Micro-USD per 1M cached input tokens; defaults to the input price' })
  @IsOptional()
  @IsMicroUsd()
  cachedInputMicroUsdPerM?: number;

  @MicroUsdProperty({ description: 'Micro-USD per 1M output tokens', example: 600_000 })
  @IsMicroUsd()
  outputMicroUsdPerM!: number;
}

export class UpdatePriceOverrideDto {
  @MicroUsdPropertyOptional({ description: 'Micro-USD per 1M input tokens' })
  @IsOptional()
  @IsMicroUsd()
  inputMicroUsdPerM?: number;

  @MicroUsdPropertyOptional({ description: 'Micro-USD per 1M cached input tokens' })
  @IsOptional()
  @IsMicroUsd()
  cachedInputMicroUsdPerM?: number;

  @MicroUsdPropertyOptional({ description: 'Micro-USD per 1M output tokens' })
  @IsOptional()
  @IsMicroUsd()
  outputMicroUsdPerM?: number;
}

export class ModelPriceDto {
  @ApiProperty({ example: 'gpt-4.1-mini' }) model!: string;
  @MicroUsdProperty({ description: 'Micro-USD per 1M input tokens' }) inputMicroUsdPerM!: number;
  @MicroUsdProperty({ description: 'Micro-USD per 1M cached input tokens' }) cachedInputMicroUsdPerM!: number;
  @MicroUsdProperty({ description: 'Micro-USD per 1M output tokens' }) outputMicroUsdPerM!: number;
}

export class PriceOverrideDto extends ModelPriceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class PriceTableDto {
  @ApiProperty({ description: 'Where the shipped prices were taken from' }) source!: string;
  @ApiProperty({ format: 'date', example: '2025-08-07', description: 'When they were transcribed' }) asOf!: string;
  @ApiProperty({ type: [ModelPriceDto], description: 'OpenAI models (a dated snapshot uses its family\'s price)' }) models!: ModelPriceDto[];
}

export class LongContextPriceDto {
  @ApiProperty({ description: 'These rates apply to a whole call whose prompt is above this many tokens' }) aboveInputTokens!: number;
  @MicroUsdProperty({ description: 'Micro-USD per 1M input tokens' }) inputMicroUsdPerM!: number;
  @MicroUsdProperty({ description: 'Micro-USD per 1M cached input tokens' }) cachedInputMicroUsdPerM!: number;
  @MicroUsdProperty({ description: 'Micro-USD per 1M output tokens' }) outputMicroUsdPerM!: number;
}

export class ShippedModelPriceDto extends ModelPriceDto {
  @MicroUsdProperty({ nullable: true, description: 'Micro-USD per 1M prompt tokens written to the cache (Anthropic); null: the input price' })
  cacheWriteMicroUsdPerM!: number | null;
  @ApiProperty({ type: LongContextPriceDto, nullable: true, description: 'Higher rates for long prompts (Gemini Pro, Claude Sonnet above 200k tokens)' })
  longContext!: LongContextPriceDto | null;
}

export class ShippedPriceTableDto {
  @ApiProperty({ example: 'anthropic', description: 'openai (also Azure OpenAI deployments named after their model), anthropic, gemini, or an OpenAI-compatible preset (deepseek, groq, together, mistral)' })
  id!: string;
  @ApiProperty({ example: 'Anthropic' }) title!: string;
  @ApiProperty({ description: 'Where the shipped prices were taken from' }) source!: string;
  @ApiProperty({ format: 'date', example: '2025-11-24', description: 'When they were transcribed' }) asOf!: string;
  @ApiProperty({ type: [ShippedModelPriceDto] }) models!: ShippedModelPriceDto[];
}

export class PricesDto {
  @ApiProperty({ type: PriceTableDto, description: 'The OpenAI price table shipped with Vaultrun (also in `tables`)' }) table!: PriceTableDto;
  @ApiProperty({ type: [ShippedPriceTableDto], description: 'Every price table shipped with Vaultrun, per provider, each with its source and date' })
  tables!: ShippedPriceTableDto[];
  @ApiProperty({
    type: [PriceOverrideDto],
    description: "This workspace's overrides: they win over the tables, and are the only price a model without a shipped price has (self-hosted servers, newer models)",
  })
  overrides!: PriceOverrideDto[];
}
