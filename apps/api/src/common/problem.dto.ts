import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' }) field!: string;
  @ApiProperty({ example: 'must be an email' }) message!: string;
}

/** RFC 9457 problem details, as every error is answered. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:vaultrun:problem:validation_failed' }) type!: string;
  @ApiProperty({ example: 'Bad request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'Invalid email.' }) detail!: string;
  @ApiProperty({ example: 'validation_failed', description: 'Stable machine-readable code' }) code!: string;
  @ApiPropertyOptional({ example: '/api/v1/tokens' }) instance?: string;
  @ApiPropertyOptional() requestId?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'Only on 500: quote it to an operator' }) errorId?: string;
  // Extension members of a budget refusal (402 budget_exhausted / cost_cap_exceeded, 422 unpriced_model).
  @ApiPropertyOptional({ format: 'uuid', description: 'The budget that refused (budget_exhausted, unpriced_model)' }) budgetId?: string;
  @ApiPropertyOptional({ description: 'Its name' }) budgetName?: string;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: "The budget's cap, micro-USD" }) capMicroUsd?: number;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'Its settled spend this period, micro-USD' }) spentMicroUsd?: number;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: 'Held by runs in flight, micro-USD' }) heldMicroUsd?: number;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', nullable: true, description: "This run's worst case, micro-USD (null: the model has no price)" })
  worstCaseMicroUsd?: number | null;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', description: "The operator's per-run cost cap (cost_cap_exceeded)" }) costCapMicroUsd?: number;
  @ApiPropertyOptional({ enum: ['mock', 'live'], description: 'POST /comparisons: which side’s run was refused' }) side?: 'mock' | 'live';
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `errors` names each field at fault',
  401: 'Not authenticated, or wrong credentials',
  402: 'A budget or the per-run cost cap refuses: `budgetId`, `budgetName`, `capMicroUsd`, `spentMicroUsd`, `worstCaseMicroUsd` say why',
  404: 'Not found in this workspace',
  409: 'Conflicts with the current state (`code` says which rule)',
  413: 'Body too large',
  415: 'Body is not JSON',
  422: 'Understood but cannot be done (`code` says why, e.g. `unpriced_model`, `no_account`)',
  429: 'Too many attempts; see Retry-After',
};

/** Declares the problem+json answers a route can give, so generated clients type them. */
export function ApiProblems(...statuses: (keyof typeof PROBLEM_DESCRIPTIONS)[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } } }),
    ),
  );
}

/** A path id: documented as a UUID, validated by UuidPipe. */
export const ApiUuidParam = (name: string) => ApiParam({ name, format: 'uuid', type: String });
