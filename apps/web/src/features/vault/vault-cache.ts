import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { getProviderAccountQueryKey, listProviderAccountsQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ProviderAccountDto, ProviderAccountListDto } from '../../api/generated/types.gen.js';
import { ApiProblem, toApiProblem } from '../../lib/problem.js';

/**
 * Keeps the vault list in step with what a change returned, then refetches it in the background (the base key also
 * matches every searched or paged list, so those refetch too).
 */
export function useVaultCache() {
  const queryClient = useQueryClient();
  return useMemo(() => {
    const key = listProviderAccountsQueryKey();
    const refresh = async () => {
      await queryClient.invalidateQueries({ queryKey: key });
      // Every vault change writes an audit entry.
      await queryClient.invalidateQueries({ predicate: (q) => (q.queryKey[0] as { _id?: unknown } | undefined)?._id === 'listAuditEvents' });
    };
    return {
      put(account: ProviderAccountDto) {
        queryClient.setQueryData<ProviderAccountListDto>(key, (old) => {
          if (!old) return old;
          const exists = old.items.some((a) => a.id === account.id);
          return { items: exists ? old.items.map((a) => (a.id === account.id ? account : a)) : [...old.items, account], total: old.total + (exists ? 0 : 1) };
        });
        void refresh();
      },
      remove(accountId: string) {
        // A deleted account must not linger as the page's highlighted (pinned) row.
        queryClient.removeQueries({ queryKey: getProviderAccountQueryKey({ path: { accountId } }) });
        queryClient.setQueryData<ProviderAccountListDto>(key, (old) => (old ? { items: old.items.filter((a) => a.id !== accountId), total: Math.max(0, old.total - 1) } : old));
        void refresh();
      },
    };
  }, [queryClient]);
}

/**
 * A request that carries a secret (a provider key, an admin key). It calls the SDK directly instead of
 * going through `useMutation`, whose cache would keep the request's variables — the key — around.
 * Only the pending flag and the error (an ApiProblem, which never contains the key) are kept.
 */
export function useSecretRequest() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiProblem | null>(null);
  const run = useCallback(async <T>(request: () => Promise<T>): Promise<{ ok: true; data: T } | { ok: false; error: ApiProblem }> => {
    setPending(true);
    setError(null);
    try {
      return { ok: true, data: await request() };
    } catch (err) {
      const problem = err instanceof ApiProblem ? err : toApiProblem(err, undefined);
      setError(problem);
      return { ok: false, error: problem };
    } finally {
      setPending(false);
    }
  }, []);
  const reset = useCallback(() => setError(null), []);
  return { pending, error, run, reset };
}
