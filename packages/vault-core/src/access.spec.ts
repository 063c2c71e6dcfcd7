import { describe, expect, it } from '@jest/globals';
import { canAssignRole, permissionsForScopes, ROLE_PERMISSIONS, SCOPE_PERMISSIONS } from './access.js';

const subset = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].every((p) => b.has(p));

describe('permission matrix', () => {
  it('nests roles: viewer ⊂ member ⊂ admin ⊆ owner', () => {
    expect(subset(ROLE_PERMISSIONS.viewer, ROLE_PERMISSIONS.member)).toBe(true);
    expect(subset(ROLE_PERMISSIONS.member, ROLE_PERMISSIONS.admin)).toBe(true);
    expect(subset(ROLE_PERMISSIONS.admin, ROLE_PERMISSIONS.owner)).toBe(true);
    expect(ROLE_PERMISSIONS.member.size).toBeGreaterThan(ROLE_PERMISSIONS.viewer.size);
  });

  it('keeps viewers read-only', () => {
    for (const p of ROLE_PERMISSIONS.viewer) expect(p).toMatch(/:read$/);
  });

  it('lets members use the vault and start runs but not manage it, members, tokens or budgets', () => {
    const m = ROLE_PERMISSIONS.member;
    expect(m.has('vault:use')).toBe(true);
    expect(m.has('runs:create')).toBe(true);
    for (const p of ['vault:manage', 'members:manage', 'tokens:manage', 'budgets:manage', 'audit:read'] as const) expect(m.has(p)).toBe(false);
  });

  it('never lets a token mint tokens, and scopes combine', () => {
    expect(SCOPE_PERMISSIONS.admin.has('tokens:manage')).toBe(false);
    expect(SCOPE_PERMISSIONS.read.has('runs:create')).toBe(false);
    expect(SCOPE_PERMISSIONS.run.has('runs:create')).toBe(true);
    expect(SCOPE_PERMISSIONS.run.has('vault:manage')).toBe(false);
    const both = permissionsForScopes(['read', 'run']);
    expect(both).toEqual(new Set([...SCOPE_PERMISSIONS.read, ...SCOPE_PERMISSIONS.run]));
  });

  it('keeps the gateway to inference tokens: no role and no other scope calls models, and inference reads nothing else', () => {
    for (const role of Object.values(ROLE_PERMISSIONS)) expect(role.has('gateway:use')).toBe(false);
    for (const scope of ['read', 'run', 'admin'] as const) expect(SCOPE_PERMISSIONS[scope].has('gateway:use')).toBe(false);
    expect([...SCOPE_PERMISSIONS.inference]).toEqual(['gateway:use']);
  });

  it('reserves the owner role to owners', () => {
    expect(canAssignRole('owner', 'member', 'owner')).toBe(true);
    expect(canAssignRole('owner', 'owner', 'viewer')).toBe(true);
    expect(canAssignRole('admin', 'member', 'owner')).toBe(false);
    expect(canAssignRole('admin', 'owner', 'admin')).toBe(false);
    expect(canAssignRole('admin', 'viewer', 'admin')).toBe(true);
    expect(canAssignRole('admin', null, 'member')).toBe(true);
    expect(canAssignRole('member', 'viewer', 'member')).toBe(false);
    expect(canAssignRole('viewer', null, 'viewer')).toBe(false);
  });
});
