import { ProviderAccount } from '@vaultrun/db';
import type { EntityManager } from 'typeorm';

/** The embedded mock provider every workspace starts with, so a fresh install runs without any key. */
export async function createMockAccount(m: EntityManager, workspaceId: string): Promise<ProviderAccount> {
  const now = new Date();
  return m.getRepository(ProviderAccount).save({
    workspaceId,
    name: 'Mock provider',
    kind: 'mock',
    status: 'active',
    models: ['mock-fast', 'mock-smart'],
    defaultModel: 'mock-fast',
    maxConcurrency: 8,
    mockSettings: { latencyMs: 0, failWith: null, reportCost: false, models: ['mock-fast', 'mock-smart'] },
    lastVerifiedAt: now,
    lastCheckedAt: now,
  });
}
