import { preflight } from '@vaultrun/engine';
import { ConfigError, loadConfig } from './config.js';
import { startWorker } from './worker.js';

async function main(): Promise<void> {
  const config = loadConfig();
  await preflight({ databaseUrl: config.databaseUrl, redis: config.redis, applicationName: 'vaultrun-worker' });
  const worker = await startWorker(config);
  process.stdout.write(`Vaultrun worker running (health on http://${config.healthHost}:${worker.healthPort}/health)\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      worker.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`vaultrun-worker failed to start: ${message}\n`);
  process.exit(1);
});
