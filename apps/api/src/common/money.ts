import { ApiProperty, type ApiPropertyOptions, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Money in the API is integer micro-USD (1 USD = 1,000,000) as a JSON integer. Values beyond
 * Number.MAX_SAFE_INTEGER would lose precision in JSON, so they are refused like negatives and fractions.
 */
export const MICRO_USD_MESSAGE = `must be a whole number of micro-USD from 0 to ${Number.MAX_SAFE_INTEGER}`;

export const isMicroUsd = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** One rule (and one message) for a micro-USD amount: a non-negative safe integer. */
export const IsMicroUsd = (options?: ValidationOptions) =>
  ValidateBy({ name: 'isMicroUsd', validator: { validate: isMicroUsd, defaultMessage: () => MICRO_USD_MESSAGE } }, options);

const MICRO_USD_SCHEMA = { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** An integer micro-USD field in the OpenAPI document. */
export const MicroUsdProperty = (options: ApiPropertyOptions = {}) => ApiProperty({ ...MICRO_USD_SCHEMA, ...options } as ApiPropertyOptions);
export const MicroUsdPropertyOptional = (options: ApiPropertyOptions = {}) => ApiPropertyOptional({ ...MICRO_USD_SCHEMA, ...options } as ApiPropertyOptions);

/** A bigint column (a string from pg) or a sum as a JSON integer; null stays null — an unknown cost is never 0. */
export function microUsd(value: string | number | bigint | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Number(value);
}
