import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CREDIT_GRANT_KINDS, type CreditGrantKind } from '@vaultrun/db';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, MinDate } from 'class-validator';

/** Integer micro-USD as a string: 1 µ$ to 10,000,000 $. */
const MICRO_USD = /^[1-9][0-9]{0,12}$/;

export class GrantCreditsDto {
  @ApiProperty({ enum: CREDIT_GRANT_KINDS, description: '`grant`: credits given by the instance; `top_up`: credits paid for (needs the payment `reference`)' })
  @IsIn(CREDIT_GRANT_KINDS)
  kind!: CreditGrantKind;

  @ApiProperty({ example: '25000000', description: 'Integer micro-USD, as a string (1 to 10,000,000,000,000 = $10M)' })
  @IsString()
  @Matches(MICRO_USD, { message: 'must be a whole number of micro-USD between 1 and 10000000000000, as a string' })
  amountMicroUsd!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When what is left of it expires (omit: never). Credits are used soonest-expiring first.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'must be in the future' })
  expiresAt?: Date;

  @ApiPropertyOptional({ maxLength: 200, description: 'The payment or order reference (required for a top-up; unique per workspace)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, { message: 'must be printable ASCII without leading, trailing or double spaces' })
  reference?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  note?: string;
}

/** The billing webhook's body (signed: `Vaultrun-Signature`). */
export class TopUpWebhookDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  workspaceId!: string;

  @ApiProperty({ example: '25000000', description: 'Integer micro-USD, as a string' })
  @IsString()
  @Matches(MICRO_USD, { message: 'must be a whole number of micro-USD between 1 and 10000000000000, as a string' })
  amountMicroUsd!: string;

  @ApiProperty({ maxLength: 200, description: 'The payment reference: a second call with the same one adds nothing and answers the first top-up' })
  @IsString()
  @Length(1, 200)
  @Matches(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, { message: 'must be printable ASCII without leading, trailing or double spaces' })
  reference!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  @MinDate(() => new Date(), { message: 'must be in the future' })
  expiresAt?: Date;
}

export class CreditGrantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CREDIT_GRANT_KINDS }) kind!: CreditGrantKind;
  @ApiProperty({ description: 'Integer micro-USD (string)' }) amountMicroUsd!: string;
  @ApiProperty({ description: 'Consumed by runs and gateway calls (string)' }) usedMicroUsd!: string;
  @ApiProperty({ description: 'Left unused when it expired (string)' }) forfeitedMicroUsd!: string;
  @ApiProperty({ description: 'Still to use (string)' }) remainingMicroUsd!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) reference!: string | null;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ enum: ['active', 'used', 'expired'] }) status!: 'active' | 'used' | 'expired';
  @ApiProperty({ description: "Who gave it: an administrator's email, or `billing webhook`" }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class CreditAccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() kind!: string;
}

export class CreditsDto {
  @ApiProperty({ description: 'Given minus used minus expired (string; below zero only after a provider charged more than was held)' }) balanceMicroUsd!: string;
  @ApiProperty({ description: 'Held by runs and gateway calls in flight (string)' }) heldMicroUsd!: string;
  @ApiProperty({ description: 'What new work may hold: balance minus held, never below zero (string)' }) availableMicroUsd!: string;
  @ApiProperty({ description: 'Every grant and top-up, ever (string)' }) grantedMicroUsd!: string;
  @ApiProperty({ description: 'Consumed (string)' }) spentMicroUsd!: string;
  @ApiProperty({ description: 'Expired unused (string)' }) forfeitedMicroUsd!: string;
  @ApiProperty({ description: "The instance's price multiplier on managed usage (1000 = ×1); the costs shown include it" }) priceMultiplierPermille!: number;
  @ApiProperty({ description: 'The low-balance alert threshold: this share of the credits is used' }) lowBalanceAlertPct!: number;
  @ApiProperty({ description: 'At or past the low-balance threshold, with credits left' }) lowBalance!: boolean;
  @ApiProperty({ description: 'Credits were given and nothing is left: work on managed connectors is refused' }) exhausted!: boolean;
  @ApiProperty({ type: [CreditGrantDto], description: 'Newest first' }) grants!: CreditGrantDto[];
  @ApiProperty({ type: [CreditAccountDto], description: "The managed connectors in this workspace (paid with these credits)" }) accounts!: CreditAccountDto[];
}

export class CreditsHistoryQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 366, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days?: number;
}

export class CreditsDayDto {
  @ApiProperty({ example: '2026-12-06' }) day!: string;
  @ApiProperty({ description: 'Consumed that UTC day (string)' }) spentMicroUsd!: string;
  @ApiProperty({ description: 'Granted or topped up that UTC day (string)' }) grantedMicroUsd!: string;
}

export class CreditsConsumerDto {
  @ApiProperty({ enum: ['operator', 'token', 'person', 'gateway'] }) type!: 'operator' | 'token' | 'person' | 'gateway';
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty() runs!: number;
  @ApiProperty({ description: '(string)' }) spentMicroUsd!: string;
}

export class CreditsHistoryDto {
  @ApiProperty({ type: [CreditsDayDto], description: 'Every day of the window, oldest first' }) days!: CreditsDayDto[];
  @ApiProperty({ type: [CreditsConsumerDto], description: 'What consumed them in the window, most first (top 20)' }) consumers!: CreditsConsumerDto[];
}

export class SwitchToOwnKeyDto {
  @ApiProperty({ format: 'uuid', description: "One of the workspace's own provider accounts" })
  @IsUUID('all')
  toAccountId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this managed connector (omit: every one)' })
  @IsOptional()
  @IsUUID('all')
  fromAccountId?: string;
}

export class SwitchedDto {
  @ApiProperty({ description: 'Operators moved' }) operators!: number;
  @ApiProperty({ description: 'Gateway route targets moved' }) routeTargets!: number;
  @ApiProperty({ description: 'Workspace defaults moved (default account, Copilot account)' }) defaults!: number;
}
