import { preflight } from '@vaultrun/engine';
import { ConfigError, loadConfig } from './config.js';
import { createGatewayApp } from './gateway-app.js';

/**
 * `node apps/api/dist/gateway-main.js`: the OpenAI-compatible gateway alone, on VAULTRUN_GATEWAY_PORT (default 3002).
 * Same configuration as the API (database, Redis, master keys); the API keeps serving /v1/* on its own port too.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await preflight({ databaseUrl: config.databaseUrl, redis: config.redis, applicationName: 'vaultrun-gateway' });
  const app = await createGatewayApp(config);
  await app.listen({ port: config.gateway.port, host: config.host });
  process.stdout.write(`Vaultrun gateway listening on http://${config.host}:${config.gateway.port}/v1\n`);
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`vaultrun-gateway failed to start: ${message}\n`);
  process.exit(1);
});
