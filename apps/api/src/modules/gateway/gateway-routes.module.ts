import { Module } from '@nestjs/common';
import { GatewayModule } from './gateway.module.js';
import { GatewayInfoController, GatewayRoutesController } from './gateway-routes.controller.js';
import { GatewayRoutesService } from './gateway-routes.service.js';

/** The gateway's control plane in the API: model routes (REST under /api/v1/gateway). */
@Module({ imports: [GatewayModule], controllers: [GatewayInfoController, GatewayRoutesController], providers: [GatewayRoutesService] })
export class GatewayRoutesModule {}
