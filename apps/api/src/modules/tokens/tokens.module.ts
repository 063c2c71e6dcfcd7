import { Module } from '@nestjs/common';
import { TokensController } from './tokens.controller.js';
import { TokensService } from './tokens.service.js';

/** Token authentication without the token REST routes: what the standalone gateway needs (gateway-main.ts). */
@Module({ providers: [TokensService], exports: [TokensService] })
export class TokensCoreModule {}

@Module({ imports: [TokensCoreModule], controllers: [TokensController], exports: [TokensCoreModule] })
export class TokensModule {}
