import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TokensModule } from '../tokens/tokens.module.js';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordService } from './password.service.js';
import { SessionService } from './session.service.js';

@Global()
@Module({
  imports: [TokensModule, WorkspacesModule],
  controllers: [AuthController],
  providers: [AuthService, SessionService, PasswordService, LoginThrottleService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [SessionService, PasswordService, AuthService],
})
export class AuthModule {}
