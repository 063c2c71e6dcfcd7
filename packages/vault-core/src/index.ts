// @vaultrun/vault-core — the vault proper: domain errors, the permission matrix, credentials and sessions, envelope
// encryption and the master key ring, the secret store, endpoint binding and fingerprints, verification, audit.
export {
  canAssignRole,
  type Permission,
  PERMISSIONS,
  permissionsForRole,
  permissionsForScopes,
  ROLE_PERMISSIONS,
  SCOPE_PERMISSIONS,
} from './access.js';
export { type AuditActor, type AuditEntry, recordAudit, SYSTEM_ACTOR } from './audit.js';
export {
  API_TOKEN_PREFIX,
  constantTimeEqual,
  generateApiToken,
  randomSecret,
  REDACT_PATHS,
  sha256Hex,
} from './credentials.js';
export { Envelope, type SecretPurpose } from './crypto/envelope.js';
export { generateMasterKey, type KeyRing, loadKeyRing, MasterKeyError, parseKeyRing } from './crypto/keyring.js';
export {
  Conflict,
  DomainError,
  type ErrorKind,
  type FieldError,
  Forbidden,
  NotFound,
  TooManyRequests,
  Unauthenticated,
  ValidationFailed,
  WorkspaceSuspended,
  workspaceSuspendedMessage,
} from './errors.js';
export { purgeExpiredSessions } from './maintenance.js';
export { endpointOf } from './vault/endpoint.js';
export { KeyFingerprints } from './vault/fingerprints.js';
export { assertMasterKeys, checkMasterKeys, masterKeyUsage, rewrapAllDataKeys } from './vault/master-keys.js';
export { createMockAccount } from './vault/mock-account.js';
export { SecretStore } from './vault/secret-store.js';
export { prepareVault, upgradeStoredSecrets } from './vault/stored-secrets.js';
export {
  accountErrorMessage,
  accountsDueForReverify,
  AccountVerifier,
  connectionFor,
  VERIFY_ERRORS,
  verifyFailureOf,
  type VerifyOutcome,
} from './vault/verify.js';
export { openWebhookSecret, sealWebhookSecret } from './vault/webhook-secret.js';
