import { describe, expect, it } from '@jest/globals';
import { permissionsForScopes } from '@vaultrun/vault-core';
import type { TokenPrincipal } from '../auth/principal.js';
import { type DirectoryAccount, modelAllowed, WorkspaceDirectory } from './gateway-directory.js';
import { GatewayError } from './gateway-errors.js';

const account = (id: string, name: string, extra: Partial<DirectoryAccount> = {}): DirectoryAccount => ({
  id,
  workspaceId: 'ws',
  name,
  kind: 'openai',
  status: 'active',
  baseUrl: null,
  apiVersion: null,
  defaultModel: 'gpt-4o-mini',
  models: [],
  visibility: 'workspace',
  maxConcurrency: 4,
  requestsPerMinute: null,
  tokensPerMinute: null,
  dekVersion: 1,
  mockSettings: null,
  lastErrorCode: null,
  tokenIds: new Set(),
  costSync: false,
  keyAccount: null,
  ...extra,
});

const token = (extra: Partial<TokenPrincipal> = {}): TokenPrincipal => ({
  kind: 'token',
  tokenId: 'tok',
  tokenName: 'app',
  workspaceId: 'ws',
  scopes: ['inference'],
  permissions: permissionsForScopes(['inference']),
  allowedModels: null,
  billing: 'any',
  ...extra,
});

const directory = () =>
  new WorkspaceDirectory(
    'ws',
    'mock',
    'metadata_only',
    [
      account('mock', 'Mock provider', { kind: 'mock', defaultModel: 'mock-fast', models: ['mock-fast', 'mock-smart'] }),
      account('a', 'Team OpenAI'),
      account('b', 'Team/Router', { kind: 'openai-compatible' }),
      account('secret', 'Secret', { visibility: 'restricted' }),
      account('listed', 'Listed', { visibility: 'restricted', tokenIds: new Set(['tok']) }),
    ],
    [
      { id: 'r1', name: 'fast', targets: [{ accountId: 'secret', model: 'x' }, { accountId: 'a', model: 'gpt-4o-mini' }, { accountId: 'gone', model: 'y' }], createdAt: new Date(0) },
      { id: 'r2', name: 'hidden', targets: [{ accountId: 'secret', model: 'x' }], createdAt: new Date(0) },
      { id: 'r3', name: 'Team OpenAI/gpt-4o', targets: [{ accountId: 'listed', model: 'gpt-4o' }], createdAt: new Date(0) },
    ],
    {},
    new Map([['a\u0000gpt-4o-mini', 1300]]),
  );

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? [err.status, err.code] : err;
  }
  return null;
};

describe('gateway directory', () => {
  it('resolves a route to the targets the token may use, in order (restricted and deleted accounts left out)', () => {
    expect(directory().resolve('fast', token()).map((t) => [t.account.id, t.model, t.routeId])).toEqual([['a', 'gpt-4o-mini', 'r1']]);
    expect(codeOf(() => directory().resolve('hidden', token()))).toEqual([403, 'account_not_allowed']);
  });

  it('a route name wins over `account/model`; then account names (which may hold a slash), then the default account', () => {
    expect(directory().resolve('Team OpenAI/gpt-4o', token())[0]!.account.id).toBe('listed');
    expect(directory().resolve('Team OpenAI/gpt-4.1', token()).map((t) => [t.account.id, t.model])).toEqual([['a', 'gpt-4.1']]);
    expect(directory().resolve('Team/Router/meta/llama-3', token()).map((t) => [t.account.id, t.model])).toEqual([['b', 'meta/llama-3']]);
    expect(directory().resolve('mock-smart', token()).map((t) => [t.account.id, t.model])).toEqual([['mock', 'mock-smart']]);
    expect(directory().resolve('Mock provider/mock-embed', token())[0]!.model).toBe('mock-embed');
  });

  it('an account the token may not use, and a model a mock does not serve, are 404 like a name that exists nowhere', () => {
    expect(codeOf(() => directory().resolve('Secret/gpt-4o', token()))).toEqual([404, 'model_not_found']);
    expect(codeOf(() => directory().resolve('Nowhere/gpt-4o', token()))).toEqual([404, 'model_not_found']);
    expect(codeOf(() => directory().resolve('gpt-4o', token()))).toEqual([404, 'model_not_found']);
    expect(codeOf(() => directory().resolve('Team OpenAI/', token()))).toEqual([404, 'model_not_found']);
    // A vault manager (an admin-scoped token too) may use every account.
    const admin = token({ scopes: ['admin', 'inference'], permissions: permissionsForScopes(['admin', 'inference']) });
    expect(directory().resolve('Secret/gpt-4o', admin)[0]!.account.id).toBe('secret');
  });

  it('lists what the token may call, filtered by its allow-list', () => {
    const ids = directory().models(token()).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['fast', 'Team OpenAI/gpt-4o', 'mock-fast', 'mock-embed', 'Team OpenAI/gpt-4o-mini', 'Listed/gpt-4o-mini']));
    expect(ids.some((id) => id.startsWith('Secret/') || id === 'hidden')).toBe(false);
    const narrow = token({ allowedModels: ['fast', 'Team OpenAI/*'] });
    expect(directory().models(narrow).map((m) => m.id).sort()).toEqual(['Team OpenAI/gpt-4o', 'Team OpenAI/gpt-4o-mini', 'fast']);
  });

  it('matches allow-lists exactly or by a prefix ending in *', () => {
    const t = token({ allowedModels: ['fast', 'gpt-4o*'] });
    expect(['fast', 'gpt-4o', 'gpt-4o-mini', 'faster', 'gpt-4'].map((m) => modelAllowed(t, m))).toEqual([true, true, true, false, false]);
    expect(modelAllowed(token(), 'anything')).toBe(true);
  });

  it('keeps the calibration per account and model', () => {
    expect(directory().calibration('a', 'gpt-4o-mini')).toBe(1300);
    expect(directory().calibration('a', 'gpt-4o')).toBeNull();
  });
});
