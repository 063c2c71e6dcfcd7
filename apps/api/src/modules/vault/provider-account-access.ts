import { ApiToken, Membership, ProviderAccountAccess } from '@vaultrun/db';
import { ValidationFailed } from '@vaultrun/vault-core';
import { type EntityManager, In } from 'typeorm';

const NO_ID = '00000000-0000-0000-0000-000000000000';

/** Who a restricted account is shared with now: its access list. */
export async function currentAccess(m: EntityManager, accountId: string): Promise<{ userIds: string[]; tokenIds: string[] }> {
  const rows = await m.getRepository(ProviderAccountAccess).find({ where: { accountId } });
  return { userIds: rows.filter((a) => a.principalType === 'user').map((a) => a.principalId), tokenIds: rows.filter((a) => a.principalType === 'token').map((a) => a.principalId) };
}

/**
 * Replaces a restricted account's access list (who may see and use it besides vault managers; the rule:
 * ./visibility.ts). It may only name members and API tokens of this workspace: anything else is a 400 naming the entry.
 */
export async function replaceAccess(m: EntityManager, workspaceId: string, accountId: string, userIds: string[], tokenIds: string[]): Promise<void> {
  const members = new Set((await m.getRepository(Membership).find({ where: { workspaceId, userId: In(userIds.length ? userIds : [NO_ID]) } })).map((x) => x.userId));
  userIds.forEach((id, i) => {
    if (!members.has(id)) throw ValidationFailed.field(`allowedUserIds.${i}`, 'is not a member of this workspace');
  });
  const tokens = new Set((await m.getRepository(ApiToken).find({ where: { workspaceId, id: In(tokenIds.length ? tokenIds : [NO_ID]) } })).map((x) => x.id));
  tokenIds.forEach((id, i) => {
    if (!tokens.has(id)) throw ValidationFailed.field(`allowedTokenIds.${i}`, 'is not an API token of this workspace');
  });
  const repo = m.getRepository(ProviderAccountAccess);
  await repo.delete({ accountId });
  const rows = [
    ...userIds.map((principalId) => ({ workspaceId, accountId, principalType: 'user' as const, principalId })),
    ...tokenIds.map((principalId) => ({ workspaceId, accountId, principalType: 'token' as const, principalId })),
  ];
  if (rows.length) await repo.insert(rows);
}
