import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testEnv } from './env.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a built entry point (e.g. apps/api/dist/main.js) to completion with a clean environment. */
export function runBuilt(entry: string, env: Record<string, string>, args: string[] = [], timeout = 30_000) {
  const res = spawnSync(process.execPath, [`${ROOT}/${entry}`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', REDIS_URL: testEnv().redisUrl, ...env },
    encoding: 'utf8',
    timeout,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
