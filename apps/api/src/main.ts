import { preflight } from '@vaultrun/engine';
import { createApp } from './app.js';
import { type AppConfig, ConfigError, loadConfig } from './config.js';
import { BootstrapService, type FirstOwner } from './modules/bootstrap/bootstrap.service.js';

function printFirstOwner(owner: FirstOwner, config: AppConfig): void {
  const lines = [
    '',
    '  Vaultrun first start: created workspace and owner',
    `    workspace : ${owner.workspaceName}`,
    `    email     : ${owner.email}`,
    owner.generatedPassword
      ? `    password  : ${owner.generatedPassword}   (generated; shown only this once — change it after signing in)`
      : '    password  : the value of VAULTRUN_ADMIN_PASSWORD',
    `    console   : ${config.publicUrl}`,
    '',
  ];
  // Deliberately stdout, not the JSON logger: a generated password must not land in log storage.
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const config = loadConfig();
  await preflight({ databaseUrl: config.databaseUrl, redis: config.redis, applicationName: 'vaultrun-api' });
  const app = await createApp(config);
  const owner = await app.get(BootstrapService).ensureFirstOwner();
  await app.listen({ port: config.port, host: config.host });
  if (owner) printFirstOwner(owner, config);
  process.stdout.write(`Vaultrun API listening on http://${config.host}:${config.port} (console: ${config.publicUrl})\n`);
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`vaultrun-api failed to start: ${message}\n`);
  process.exit(1);
});
