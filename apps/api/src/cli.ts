#!/usr/bin/env node
/**
 * vaultrun — operator commands (run from the repository with `pnpm vaultrun <command>`; reads .env).
 *
 *   keys:generate [--version N]        print a new master key entry "N:<base64>" for VAULTRUN_MASTER_KEYS
 *   vault:status                       data keys per master key version; which versions can be retired
 *   vault:rotate [--batch N]           re-wrap every data key under the active master key (online, resumable), and upgrade
 *                                      secrets older versions stored (v1 → endpoint-bound v2, HMAC fingerprints, webhook secrets)
 *   admin:reset-password <email>       set a new generated password for a user and end their sessions
 *   admin:grant <email>                make a user an instance administrator (the Instance area, /api/v1/instance)
 *   admin:revoke <email>               take it back (never from the last instance administrator)
 */
import { existsSync, readFileSync } from 'node:fs';
import { hash } from '@node-rs/argon2';
import { createDataSource, User } from '@vaultrun/db';
import {
  assertMasterKeys,
  Envelope,
  generateMasterKey,
  KeyFingerprints,
  masterKeyUsage,
  parseKeyRing,
  randomSecret,
  recordAudit,
  rewrapAllDataKeys,
  SYSTEM_ACTOR,
  upgradeStoredSecrets,
} from '@vaultrun/vault-core';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from './config.js';

if (existsSync('.env')) process.loadEnvFile('.env');

const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const say = (line = '') => process.stdout.write(`${line}\n`);

async function withDatabase<T>(fn: (db: ReturnType<typeof createDataSource>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = createDataSource({ url: config.databaseUrl, poolSize: 2, poolMode: config.databasePoolMode, applicationName: 'vaultrun-cli' });
  await db.initialize();
  try {
    return await fn(db, config);
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<number> {
  switch (command) {
    case 'keys:generate': {
      let version = Number(flag('version') ?? NaN);
      if (!Number.isInteger(version)) {
        const spec = process.env.VAULTRUN_MASTER_KEYS ?? (process.env.VAULTRUN_MASTER_KEYS_FILE ? readFileSync(process.env.VAULTRUN_MASTER_KEYS_FILE, 'utf8') : '');
        version = spec.trim() ? Math.max(...parseKeyRing(spec).keys.keys()) + 1 : 1;
      }
      say(generateMasterKey(version));
      process.stderr.write(`Add this entry to VAULTRUN_MASTER_KEYS (comma-separated); the highest version becomes active.\n`);
      return 0;
    }
    case 'vault:status':
      return withDatabase(async (db, config) => {
        await assertMasterKeys(db, new Envelope(config.keyRing), config.keyRing);
        const usage = await masterKeyUsage(db, config.keyRing);
        say(`Active master key version: ${usage.activeVersion}`);
        say(`Configured versions: ${[...config.keyRing.keys.keys()].sort((a, b) => a - b).join(', ')}`);
        for (const [version, n] of Object.entries(usage.wrappedByVersion)) {
          say(`  version ${version}: ${usage.accountsByVersion[Number(version)] ?? 0} data key(s), ${n - (usage.accountsByVersion[Number(version)] ?? 0)} other wrapped key(s)`);
        }
        const [{ legacy }] = await db.query(`SELECT count(*)::int AS legacy FROM provider_secrets WHERE ciphertext LIKE 'v1.%'`);
        if (legacy) say(`Secrets not yet bound to their endpoint (format v1): ${legacy} — run vault:rotate (or restart the API/worker) to upgrade them.`);
        const retirable = [...config.keyRing.keys.keys()].filter((v) => v !== usage.activeVersion && !usage.wrappedByVersion[v]);
        say(retirable.length ? `Can be retired now: ${retirable.join(', ')}` : 'No version can be retired yet.');
        return 0;
      });
    case 'vault:rotate':
      return withDatabase(async (db, config) => {
        const envelope = new Envelope(config.keyRing);
        await assertMasterKeys(db, envelope, config.keyRing);
        const bar = new SingleBar({ format: 'Re-wrapping data keys [{bar}] {value}/{total}', hideCursor: true });
        let started = false;
        const result = await rewrapAllDataKeys(db, envelope, {
          batchSize: Number(flag('batch') ?? 200),
          onProgress: (p) => {
            if (!started) {
              bar.start(p.total, 0);
              started = true;
            }
            bar.update(p.rewrapped + p.raced);
          },
        });
        bar.stop();
        const upgrade = await upgradeStoredSecrets(db, envelope, new KeyFingerprints(db, envelope));
        await recordAudit(db.manager, {
          workspaceId: null,
          actor: SYSTEM_ACTOR('vaultrun vault:rotate'),
          action: 'vault.master_key.rotate',
          metadata: { activeVersion: envelope.activeKekVersion, rewrapped: result.rewrapped, raced: result.raced, upgraded: upgrade },
        });
        say(`Re-wrapped ${result.rewrapped} data key(s) under master key version ${envelope.activeKekVersion}` + (result.raced ? ` (${result.raced} changed concurrently; run again to be sure).` : '.'));
        if (upgrade.providerSecrets || upgrade.webhookSecrets) {
          say(`Upgraded ${upgrade.providerSecrets} provider secret(s) (bound to their endpoint, HMAC fingerprint) and ${upgrade.webhookSecrets} webhook signing secret(s) (now wrapped).`);
        }
        if (upgrade.unreadable) say(`${upgrade.unreadable} secret(s) could not be read and were left as they are: set those keys again.`);
        const usage = await masterKeyUsage(db, config.keyRing);
        const left = Object.entries(usage.wrappedByVersion).filter(([v]) => Number(v) !== usage.activeVersion);
        say(left.length ? `Still on older versions: ${left.map(([v, n]) => `v${v}: ${n}`).join(', ')} — run vault:rotate again.` : 'Nothing left on older versions: they can be removed from VAULTRUN_MASTER_KEYS.');
        return left.length ? 1 : 0;
      });
    case 'admin:reset-password': {
      const email = rest[0]?.trim().toLowerCase();
      if (!email) {
        process.stderr.write('usage: vaultrun admin:reset-password <email>\n');
        return 2;
      }
      return withDatabase(async (db) => {
        const user = await db.getRepository(User).findOne({ where: { email } });
        if (!user) {
          process.stderr.write(`No user with email ${email}.\n`);
          return 1;
        }
        const password = randomSecret(15);
        await db.transaction(async (m) => {
          await m.getRepository(User).update({ id: user.id }, { passwordHash: await hash(password) });
          await m.query(`DELETE FROM sessions WHERE user_id = $1`, [user.id]);
          await recordAudit(m, { workspaceId: null, actor: SYSTEM_ACTOR('vaultrun admin:reset-password'), action: 'auth.password_reset', targetType: 'user', targetId: user.id });
        });
        say(`New password for ${email}: ${password}`);
        say('Their sessions have ended. Ask them to change it after signing in.');
        return 0;
      });
    }
    case 'admin:grant':
    case 'admin:revoke': {
      const grant = command === 'admin:grant';
      const email = rest[0]?.trim().toLowerCase();
      if (!email) {
        process.stderr.write(`usage: vaultrun ${command} <email>\n`);
        return 2;
      }
      return withDatabase((db) =>
        db.transaction(async (m) => {
          // One at a time: two revokes at once must not leave the instance without an administrator.
          await m.query(`SELECT pg_advisory_xact_lock(hashtext('vaultrun:instance-admins'))`);
          const user = await m.getRepository(User).findOne({ where: { email } });
          if (!user) {
            process.stderr.write(`No user with email ${email}. They must sign up first (an invitation to a workspace), then run this again.\n`);
            return 1;
          }
          if (user.isInstanceAdmin === grant) {
            say(`${email} ${grant ? 'is already' : 'is not'} an instance administrator: nothing changed.`);
            return 0;
          }
          if (!grant) {
            const admins = await m.getRepository(User).count({ where: { isInstanceAdmin: true } });
            if (admins <= 1) {
              process.stderr.write(`${email} is the last instance administrator: grant another user first (vaultrun admin:grant <email>), then revoke.\n`);
              return 1;
            }
          }
          await m.getRepository(User).update({ id: user.id }, { isInstanceAdmin: grant });
          await recordAudit(m, {
            workspaceId: null,
            actor: SYSTEM_ACTOR(`vaultrun ${command}`),
            action: grant ? 'instance.admin.grant' : 'instance.admin.revoke',
            targetType: 'user',
            targetId: user.id,
            metadata: { email },
          });
          say(grant ? `${email} is now an instance administrator (the Instance area of the console).` : `${email} is no longer an instance administrator.`);
          return 0;
        }),
      );
    }
    default:
      process.stderr.write('usage: vaultrun keys:generate [--version N] | vault:status | vault:rotate [--batch N] | admin:reset-password <email> | admin:grant <email> | admin:revoke <email>\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vaultrun: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
