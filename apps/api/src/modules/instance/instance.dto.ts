import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.js';

export const WORKSPACE_STATUSES = ['active', 'suspended'] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];

export class InstanceWorkspacesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: WORKSPACE_STATUSES })
  @IsOptional()
  @IsIn(WORKSPACE_STATUSES)
  status?: WorkspaceStatus;
}

export class InstanceWorkspaceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Members of the workspace' }) members!: number;
  @ApiProperty({ description: 'Runs (gateway calls included) created in the last 30 days' }) runs30d!: number;
  @ApiProperty({ description: 'Their spend, in integer micro-USD (string: may exceed 2^53)', example: '1250000' }) spend30dMicroUsd!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Vaultrun credits left, integer micro-USD (string); null: never given credits' }) creditBalanceMicroUsd!: string | null;
  @ApiProperty({ enum: WORKSPACE_STATUSES }) status!: WorkspaceStatus;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) suspendedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) suspendedReason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class InstanceWorkspaceListDto {
  @ApiProperty({ type: [InstanceWorkspaceDto] }) items!: InstanceWorkspaceDto[];
  @ApiProperty({ description: 'Workspaces matching the search and filters (all pages)' }) total!: number;
}

export class SuspendWorkspaceDto {
  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Unpaid invoice', description: 'Why: shown to the workspace\'s members and recorded in both audit logs' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @Matches(/\S/, { message: 'must not be blank' })
  reason!: string;
}
