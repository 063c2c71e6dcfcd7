import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';

export const AUDIT_ACTOR_TYPES = ['user', 'token', 'system', 'anonymous'] as const;

/** The filters of the audit trail: the same for a page (GET /audit-events) and the CSV export. */
export class AuditFilterDto {
  @ApiPropertyOptional({
    description: 'One or more actions, comma-separated (exact), as listed by GET /audit-events/actions; a value ending in "." is a prefix (`member.`)',
    example: 'token.create,token.revoke',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(/^[a-z0-9_.]+(,[a-z0-9_.]+)*$/, { message: 'must be actions (a-z, 0-9, "_", ".") separated by commas' })
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsIn(['success', 'failure'])
  outcome?: 'success' | 'failure';

  @ApiPropertyOptional({ format: 'uuid', description: 'The user or API token that acted' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  actorId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTOR_TYPES, description: 'What kind of actor: `system` is Vaultrun itself (guardrails, scheduled checks)' })
  @IsOptional()
  @IsIn(AUDIT_ACTOR_TYPES)
  actorType?: (typeof AUDIT_ACTOR_TYPES)[number];

  @ApiPropertyOptional({ example: 'provider_account', description: 'What kind of thing was acted on (provider_account, operator, api_token, budget, user, invite, …)' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  @Matches(/^[a-z_]+$/, { message: 'may contain only a-z and "_"' })
  targetType?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The id of the thing acted on' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  targetId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'At or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be an ISO 8601 date-time' })
  until?: Date;
}

export class AuditQueryDto extends IntersectionType(PageQueryDto, AuditFilterDto) {}

export class AuditActorDto {
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES }) type!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) id!: string | null;
  @ApiProperty({ example: 'admin@example.com', description: 'An email or a token name, as it was when the event was recorded' }) label!: string;
}

export class AuditTargetDto {
  @ApiProperty({ example: 'api_token' }) type!: string;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "What it is called now (an account's, operator's, token's or budget's name, a member's email); once deleted, the name the event recorded; null when unknown",
  })
  name!: string | null;
  @ApiProperty({ description: 'Whether it still exists in this workspace (the console links to it only then)' }) exists!: boolean;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'token.create' }) action!: string;
  @ApiProperty({ enum: ['success', 'failure'] }) outcome!: string;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({ type: AuditTargetDto, nullable: true }) target!: AuditTargetDto | null;
  @ApiProperty() ip!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What the event recorded. Updates list `changed` fields, and `{ from, to }` pairs (or a `diff` of them) where the old and new values were recorded',
  })
  metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AuditActionDto {
  @ApiProperty({ example: 'token.create' }) action!: string;
}

export class AuditActionListDto {
  @ApiProperty({ type: [AuditActionDto], description: 'Every action recorded in this workspace, alphabetically' }) items!: AuditActionDto[];
}
