import type { Role, TokenScope } from '@vaultrun/db';

/**
 * The permission matrix — the one place that says who may do what.
 * Every API route names exactly one permission (or is public / signed-in only); the auth guard
 * checks it against the caller's role (console sessions) or scopes (API tokens).
 */
export const PERMISSIONS = [
  'workspace:read',
  'workspace:manage',
  'members:read',
  'members:manage',
  'tokens:read',
  'tokens:manage',
  'audit:read',
  'vault:read',
  'vault:use',
  'vault:manage',
  'operators:read',
  'operators:manage',
  'runs:read',
  'runs:create',
  'budgets:read',
  'budgets:manage',
  // The OpenAI-compatible gateway (/v1/*): calling models on the accounts the token may use. API tokens only.
  'gateway:use',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: Permission[] = ['workspace:read', 'members:read', 'vault:read', 'operators:read', 'runs:read', 'budgets:read'];
const MEMBER: Permission[] = [...VIEWER, 'vault:use', 'operators:manage', 'runs:create'];
const ADMIN: Permission[] = [
  ...MEMBER,
  'workspace:manage',
  'members:manage',
  'tokens:read',
  'tokens:manage',
  'audit:read',
  'vault:manage',
  'budgets:manage',
];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(ADMIN),
  admin: new Set(ADMIN),
  member: new Set(MEMBER),
  viewer: new Set(VIEWER),
};

/**
 * API token scopes. `admin` deliberately excludes managing tokens: a token cannot mint tokens. `inference` is the
 * gateway's alone: an app's token calls models and can read nothing of the workspace through the REST API. No role
 * has `gateway:use`: the gateway takes API tokens only (docs/gateway.md).
 */
export const SCOPE_PERMISSIONS: Record<TokenScope, ReadonlySet<Permission>> = {
  read: new Set(VIEWER),
  run: new Set<Permission>([...VIEWER, 'vault:use', 'runs:create']),
  admin: new Set(ADMIN.filter((p) => p !== 'tokens:manage')),
  inference: new Set<Permission>(['gateway:use']),
};

export function permissionsForRole(role: Role): ReadonlySet<Permission> {
  return ROLE_PERMISSIONS[role];
}

export function permissionsForScopes(scopes: readonly TokenScope[]): ReadonlySet<Permission> {
  const out = new Set<Permission>();
  for (const scope of scopes) for (const p of SCOPE_PERMISSIONS[scope]) out.add(p);
  return out;
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Only owners may hand out or take away the owner role; admins manage everyone below owner. */
export function canAssignRole(actor: Role, from: Role | null, to: Role): boolean {
  if (actor === 'owner') return true;
  if (actor !== 'admin') return false;
  return to !== 'owner' && (from === null || from !== 'owner') && ROLE_RANK[to] <= ROLE_RANK.admin;
}
