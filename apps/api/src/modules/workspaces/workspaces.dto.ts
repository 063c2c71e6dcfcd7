import { ApiProperty } from '@nestjs/swagger';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { GATEWAY_RETENTIONS, type GatewayRetention } from '@vaultrun/db';
import { IsIn, IsOptional, IsString, IsUUID, Length, MaxLength, ValidateIf } from 'class-validator';
import { WorkspaceSummaryDto } from '../auth/dto/auth.dto.js';

export class WorkspaceNameDto {
  @ApiProperty({ example: 'Research team', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class UpdateWorkspaceDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'The provider account operators and runs use when they name none' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID('all', { message: 'must be a UUID' })
  defaultAccountId?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: 'Used when neither the run, the operator nor the account names a model' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Length(1, 200)
  defaultModel?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: "The Mission Copilot's provider account (null: the workspace default account)" })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID('all', { message: 'must be a UUID' })
  copilotAccountId?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: "The Mission Copilot's model (null: the copilot account's default model, then the workspace default)" })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Length(1, 200)
  copilotModel?: string | null;

  @ApiPropertyOptional({
    enum: GATEWAY_RETENTIONS,
    description: 'What gateway call records keep: prompts and outputs (`keep_bodies`) or metadata only — tokens, cost, timings, account, model (`metadata_only`, the default)',
  })
  @IsOptional()
  @IsIn(GATEWAY_RETENTIONS)
  gatewayRetention?: GatewayRetention;
}

export class SetAlertWebhookDto {
  @ApiProperty({ maxLength: 2000, example: 'https://hooks.example.com/vaultrun', description: 'http or https. Budget alerts are POSTed here, signed' })
  @IsString()
  @MaxLength(2000)
  url!: string;
}

export class AlertWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/vaultrun',
    description: 'The full URL for those who may manage budgets; others see only its origin (a webhook URL often embeds a credential)',
  })
  url!: string;
  @ApiProperty({ example: 'whsec_…a1B2', description: 'The end of the signing secret, to tell secrets apart' }) secretHint!: string;
}

export class AlertWebhookSecretDto extends AlertWebhookDto {
  @ApiProperty({
    example: 'whsec_3kq…',
    description:
      'The signing secret. Shown this once; store it now. Each alert carries `Vaultrun-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with this whole string>`',
  })
  secret!: string;
}

export class WorkspaceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) defaultAccountId!: string | null;
  @ApiProperty({ type: String, nullable: true }) defaultModel!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) copilotAccountId!: string | null;
  @ApiProperty({ type: String, nullable: true }) copilotModel!: string | null;
  @ApiProperty({ type: AlertWebhookDto, nullable: true, description: 'Where budget alerts are sent (never the secret)' }) alertWebhook!: AlertWebhookDto | null;
  @ApiProperty({ enum: GATEWAY_RETENTIONS, description: 'What gateway call records keep: prompts and outputs, or metadata only' }) gatewayRetention!: GatewayRetention;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WorkspaceListDto {
  @ApiProperty({ type: [WorkspaceSummaryDto] }) items!: WorkspaceSummaryDto[];
}
