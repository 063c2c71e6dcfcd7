import { Body, Controller, Get, HttpCode, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems } from '../../common/problem.dto.js';
import { AuthService } from './auth.service.js';
import { CurrentUser, Public, SignedIn } from './decorators.js';
import { ChangePasswordDto, LoginDto, MeDto, SwitchWorkspaceDto, UpdateProfileDto } from './dto/auth.dto.js';
import type { UserPrincipal } from './principal.js';
import { SESSION_COOKIE, SessionService } from './session.service.js';

const clientOf = (req: FastifyRequest) => ({ ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '') });

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
  ) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @ApiOperation({ operationId: 'login', summary: 'Sign in; sets the httpOnly session cookie' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(400, 401, 429)
  async login(@Body() body: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<MeDto> {
    const { cookieValue, me } = await this.auth.login(body.email, body.password, clientOf(req));
    reply.setCookie(SESSION_COOKIE, cookieValue, this.sessions.cookieOptions());
    return me;
  }

  @Post('logout')
  @HttpCode(204)
  @SignedIn()
  @ApiOperation({ operationId: 'logout', summary: 'End this session' })
  @ApiNoContentResponse()
  async logout(@CurrentUser() user: UserPrincipal, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(user, req.ip);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  @Get('me')
  @SignedIn()
  @ApiOperation({ operationId: 'getMe', summary: 'The signed-in user, current workspace, permissions and CSRF token' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: UserPrincipal): Promise<MeDto> {
    return this.auth.me(user);
  }

  @Patch('me')
  @SignedIn()
  @ApiOperation({ operationId: 'updateProfile', summary: 'Change your name' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(400)
  updateProfile(@CurrentUser() user: UserPrincipal, @Body() body: UpdateProfileDto): Promise<MeDto> {
    return this.auth.updateProfile(user, body.name);
  }

  @Post('workspace')
  @HttpCode(200)
  @SignedIn()
  @ApiOperation({ operationId: 'switchWorkspace', summary: 'Switch the session to another of your workspaces' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(400, 404)
  switchWorkspace(@CurrentUser() user: UserPrincipal, @Body() body: SwitchWorkspaceDto): Promise<MeDto> {
    return this.auth.switchWorkspace(user, body.workspaceId);
  }

  @Post('password')
  @HttpCode(204)
  @SignedIn()
  @ApiOperation({ operationId: 'changePassword', summary: 'Change your password; your other sessions end' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 429)
  changePassword(@CurrentUser() user: UserPrincipal, @Body() body: ChangePasswordDto, @Req() req: FastifyRequest): Promise<void> {
    return this.auth.changePassword(user, body.currentPassword, body.newPassword, req.ip);
  }
}
