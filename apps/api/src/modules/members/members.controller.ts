import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiUuidParam } from '../../common/problem.dto.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UuidPipe } from '../../common/validation.js';
import { AuthService } from '../auth/auth.service.js';
import { Ctx, CurrentUser, Public, RequirePermission, SignedIn } from '../auth/decorators.js';
import type { RequestContext, UserPrincipal } from '../auth/principal.js';
import { SESSION_COOKIE, SessionService } from '../auth/session.service.js';
import {
  AcceptInviteDto,
  ChangeRoleDto,
  CreatedInviteDto,
  CreateInviteDto,
  InviteDto,
  InviteListDto,
  InvitePreviewDto,
  InviteTokenDto,
  ListMembersQueryDto,
  MeDto,
  MemberDto,
  MemberListDto,
} from './members.dto.js';
import { InvitesService } from './invites.service.js';
import { MembersService } from './members.service.js';

@ApiTags('members')
@Controller('api/v1')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly invites: InvitesService,
    private readonly sessions: SessionService,
    private readonly auth: AuthService,
  ) {}

  @Get('members')
  @RequirePermission('members:read')
  @ApiOperation({ operationId: 'listMembers', summary: 'Members of the workspace and their roles; search (`q`: email, name), filter by role, sort and page' })
  @ApiOkResponse({ type: MemberListDto })
  @ApiProblems(400)
  list(@Ctx() ctx: RequestContext, @Query() query: ListMembersQueryDto): Promise<MemberListDto> {
    return this.members.list(ctx.workspaceId, query);
  }

  @Patch('members/:userId')
  @RequirePermission('members:manage')
  @ApiOperation({ operationId: 'changeMemberRole', summary: 'Change a member\'s role (the last owner cannot be demoted)' })
  @ApiOkResponse({ type: MemberDto })
  @ApiUuidParam('userId')
  @ApiProblems(400, 404, 409)
  changeRole(@Ctx() ctx: RequestContext, @Param('userId', UuidPipe) userId: string, @Body() body: ChangeRoleDto): Promise<MemberDto> {
    return this.members.changeRole(ctx, userId, body.role);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  @RequirePermission('members:manage')
  @ApiOperation({ operationId: 'removeMember', summary: 'Remove a member (the last owner cannot be removed)' })
  @ApiNoContentResponse()
  @ApiUuidParam('userId')
  @ApiProblems(400, 404, 409)
  remove(@Ctx() ctx: RequestContext, @Param('userId', UuidPipe) userId: string): Promise<void> {
    return this.members.remove(ctx, userId);
  }

  @Get('invites')
  @RequirePermission('members:manage')
  @ApiOperation({ operationId: 'listInvites', summary: 'Invites of the workspace' })
  @ApiOkResponse({ type: InviteListDto })
  async listInvites(@Ctx() ctx: RequestContext): Promise<InviteListDto> {
    return { items: await this.invites.list(ctx.workspaceId) };
  }

  @Post('invites')
  @RequirePermission('members:manage')
  @ApiOperation({ operationId: 'createInvite', summary: 'Invite someone by email; the single-use link is in this response only' })
  @ApiCreatedResponse({ type: CreatedInviteDto })
  @ApiProblems(400, 409)
  createInvite(@Ctx() ctx: RequestContext, @Body() body: CreateInviteDto): Promise<CreatedInviteDto> {
    return this.invites.create(ctx, body);
  }

  @Delete('invites/:inviteId')
  @HttpCode(200)
  @RequirePermission('members:manage')
  @ApiOperation({ operationId: 'revokeInvite', summary: 'Revoke a pending invite' })
  @ApiOkResponse({ type: InviteDto })
  @ApiUuidParam('inviteId')
  @ApiProblems(400, 404)
  revokeInvite(@Ctx() ctx: RequestContext, @Param('inviteId', UuidPipe) inviteId: string): Promise<InviteDto> {
    return this.invites.revoke(ctx, inviteId);
  }

  @Post('invites/preview')
  @HttpCode(200)
  @Public()
  @ApiOperation({ operationId: 'previewInvite', summary: 'What an invite link is for (workspace, email, role)' })
  @ApiOkResponse({ type: InvitePreviewDto })
  @ApiProblems(400, 404)
  preview(@Body() body: InviteTokenDto): Promise<InvitePreviewDto> {
    return this.invites.preview(body.token);
  }

  @Post('invites/accept')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    operationId: 'acceptInvite',
    summary: 'Accept an invite with a new account: create it, join the workspace and sign in (an email that already has an account gets 409 invite_sign_in_required: sign in, then join)',
  })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(400, 404, 409)
  async accept(@Body() body: AcceptInviteDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<MeDto> {
    const { cookieValue } = await this.invites.accept(body, { ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '') });
    reply.setCookie(SESSION_COOKIE, cookieValue, this.sessions.cookieOptions());
    const principal = await this.sessions.resolve(cookieValue);
    return this.auth.me(principal!);
  }

  @Post('invites/join')
  @HttpCode(200)
  @SignedIn()
  @ApiOperation({ operationId: 'joinWithInvite', summary: 'Accept an invite as the signed-in user (the invite\'s email must be yours): join the workspace and switch to it' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(400, 404, 409)
  async join(@CurrentUser() user: UserPrincipal, @Body() body: InviteTokenDto, @Req() req: FastifyRequest): Promise<MeDto> {
    await this.invites.join(user, body.token, { ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '') });
    const principal = await this.sessions.resolve(req.cookies[SESSION_COOKIE]!);
    if (!principal) throw new Error(`session ${user.sessionId} vanished while joining a workspace`);
    return this.auth.me(principal);
  }
}
