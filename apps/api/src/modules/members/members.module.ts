import { Module } from '@nestjs/common';
import { InvitesService } from './invites.service.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';

@Module({ controllers: [MembersController], providers: [MembersService, InvitesService] })
export class MembersModule {}
