import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Vaultrun API')
    .setDescription(
      'Self-hosted platform for running AI work on a team\'s own LLM provider keys. ' +
        'Errors are RFC 9457 problem details with a stable `code`. Console sessions use the `vr_session` cookie ' +
        'and must echo `x-csrf-token` on writes; programs send `Authorization: Bearer vr_…`. ' +
        'Each operation\'s `x-vaultrun-auth` names the permission it needs.',
    )
    .setVersion('1')
    .addCookieAuth('vr_session', { type: 'apiKey', in: 'cookie', name: 'vr_session' }, 'session')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'vr_…' }, 'token')
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
  });
}
