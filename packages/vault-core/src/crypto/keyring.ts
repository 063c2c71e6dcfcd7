import { randomBytes } from 'node:crypto';

/** A versioned set of 32-byte key-encryption keys (KEKs); new data keys are wrapped with `active`. */
export interface KeyRing {
  readonly active: number;
  readonly keys: ReadonlyMap<number, Buffer>;
}

/** Problems with the master key ring. Messages name versions, never key material. */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

const KEY_BYTES = 32;

/**
 * Parses `"2:<base64>,1:<base64>"` (commas or newlines; `#` comments allowed, for key files).
 * The active version is `activeVersion` when given, else the highest version in the ring.
 */
export function parseKeyRing(spec: string | undefined, activeVersion?: number): KeyRing {
  if (!spec || !spec.trim()) {
    throw new MasterKeyError(
      'No master key configured. Set VAULTRUN_MASTER_KEYS (e.g. "1:<base64 of 32 random bytes>") or VAULTRUN_MASTER_KEYS_FILE. ' +
        'Generate one with `pnpm vaultrun keys:generate`.',
    );
  }
  const keys = new Map<number, Buffer>();
  const entries = spec
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const m = /^(\d{1,6}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!m) throw new MasterKeyError(`Master key entry #${index + 1} is malformed: expected "<version>:<base64 key>".`);
    const version = Number(m[1]);
    if (version < 1) throw new MasterKeyError(`Master key version ${version} is invalid: versions start at 1.`);
    if (keys.has(version)) throw new MasterKeyError(`Master key version ${version} is listed twice.`);
    const key = Buffer.from(m[2]!.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new MasterKeyError(`Master key version ${version} is ${key.length} bytes after base64 decoding; it must be exactly ${KEY_BYTES}.`);
    }
    keys.set(version, key);
  });
  const active = activeVersion ?? Math.max(...keys.keys());
  if (!keys.has(active)) throw new MasterKeyError(`The active master key version ${active} is not in the key ring (has: ${[...keys.keys()].sort((a, b) => a - b).join(', ')}).`);
  return { active, keys };
}

/** A fresh key-ring entry: `<version>:<base64 of 32 random bytes>`. */
export function generateMasterKey(version: number): string {
  return `${version}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export function keyFor(ring: KeyRing, version: number): Buffer {
  const key = ring.keys.get(version);
  if (!key) throw new MasterKeyError(`Master key version ${version} is needed but not in the key ring.`);
  return key;
}

/**
 * The key ring from configuration values (the apps pass them in; vault-core never reads the environment):
 * `keys` inline, or `file` holding the same format (e.g. a Docker secret). Both set is an error.
 */
export function loadKeyRing(input: { keys?: string; file?: string; active?: number; readFile: (path: string) => string }): KeyRing {
  if (input.keys && input.file) throw new MasterKeyError('Set VAULTRUN_MASTER_KEYS or VAULTRUN_MASTER_KEYS_FILE, not both.');
  let spec = input.keys;
  if (input.file) {
    try {
      spec = input.readFile(input.file);
    } catch {
      throw new MasterKeyError(`The master key file ${input.file} cannot be read.`);
    }
  }
  return parseKeyRing(spec, input.active);
}
