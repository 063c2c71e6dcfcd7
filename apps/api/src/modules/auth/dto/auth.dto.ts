import { ApiProperty } from '@nestjs/swagger';
import { type Role, ROLES } from '@vaultrun/db';
import { type Permission, PERMISSIONS } from '@vaultrun/vault-core';
import { IsEmail, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@vaultrun.local', maxLength: 320 })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(320)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1, maxLength: 256 })
  @IsString()
  @Length(1, 256)
  password!: string;
}

export class SwitchWorkspaceDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'must be a UUID' })
  workspaceId!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: 256 })
  @IsString()
  @Length(1, 256)
  currentPassword!: string;

  @ApiProperty({ minLength: 12, maxLength: 256, example: 'a long new passphrase' })
  @IsString()
  @Length(12, 256)
  newPassword!: string;
}

export class UpdateProfileDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ada Lovelace', description: 'Your name, as your teammates see it (members list, audit log)' })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  name!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
}

export class WorkspaceCreditsDto {
  @ApiProperty({ description: 'Vaultrun credits left, integer micro-USD (string)' }) balanceMicroUsd!: string;
  @ApiProperty({ description: 'The low-balance alert threshold is reached' }) lowBalance!: boolean;
  @ApiProperty({ description: 'Nothing left: work on managed connectors is refused' }) exhausted!: boolean;
}

export class WorkspaceSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'Suspended by an instance administrator: new runs and gateway calls are refused; reading still works' })
  suspended!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'Why it is suspended (null when active)' })
  suspendedReason!: string | null;
  @ApiProperty({ type: WorkspaceCreditsDto, nullable: true, description: 'Vaultrun credits (docs/managed.md); null: never given any' })
  credits!: WorkspaceCreditsDto | null;
}

export class MeDto {
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiProperty({ type: WorkspaceSummaryDto, nullable: true, description: 'The workspace the console is acting in' })
  workspace!: WorkspaceSummaryDto | null;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, description: 'What the current role allows in that workspace' })
  permissions!: Permission[];
  @ApiProperty({ type: [WorkspaceSummaryDto] }) workspaces!: WorkspaceSummaryDto[];
  @ApiProperty({ description: 'An instance administrator: may use the Instance area (`/api/v1/instance/...`), whatever the workspace role' })
  isInstanceAdmin!: boolean;
  @ApiProperty({ description: 'Echo it in the `x-csrf-token` header on every write made with the session cookie' })
  csrfToken!: string;
}
