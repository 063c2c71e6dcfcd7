import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type Role, ROLES } from '@vaultrun/db';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { ListQueryDto, sortValues } from '../../common/list-query.js';
import { MeDto } from '../auth/dto/auth.dto.js';

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'date-time' }) joinedAt!: string;
}

export const MEMBER_SORTS = { email: 'lower(u.email)', name: 'lower(u.name)', role: 'm.role', joined: 'm.created_at' } as const;

export class ListMembersQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ enum: sortValues(Object.keys(MEMBER_SORTS)), default: 'joined', description: 'A column, ascending; prefixed with "-", descending' })
  @IsOptional()
  @IsIn(sortValues(Object.keys(MEMBER_SORTS)))
  sort?: string;
}

export class MemberListDto {
  @ApiProperty({ type: [MemberDto] }) items!: MemberDto[];
  @ApiProperty({ description: 'Members matching the search and filters (all pages)' }) total!: number;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES, { message: `must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

export class CreateInviteDto {
  @ApiProperty({ example: 'new.colleague@example.com', maxLength: 320 })
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(320)
  email!: string;

  @ApiProperty({ enum: ROLES, example: 'member' })
  @IsIn(ROLES, { message: `must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

export class InviteDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ enum: ['pending', 'accepted', 'revoked', 'expired'] }) status!: 'pending' | 'accepted' | 'revoked' | 'expired';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class CreatedInviteDto extends InviteDto {
  @ApiProperty({ description: 'Single-use link to hand to the invitee. Shown this once.' }) url!: string;
}

export class InviteListDto {
  @ApiProperty({ type: [InviteDto] }) items!: InviteDto[];
}

export class InviteTokenDto {
  @ApiProperty({ description: 'The token from the invite link', minLength: 20, maxLength: 200 })
  @IsString()
  @Length(20, 200)
  token!: string;
}

export class InvitePreviewDto {
  @ApiProperty() workspaceName!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

/** Accepting with a new account. An email that already has an account joins signed in (POST /invites/join). */
export class AcceptInviteDto extends InviteTokenDto {
  @ApiProperty({ description: 'The new account\'s password (12–256 characters)', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  password!: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export { MeDto };
