import { useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { getOperatorQueryKey, listOperatorsQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { OperatorDto, OperatorListDto } from '../../api/generated/types.gen.js';

/** Keeps the operator list in step with what a change returned, then refetches it in the background. */
export function useOperatorCache() {
  const queryClient = useQueryClient();
  return useMemo(() => {
    const key = listOperatorsQueryKey();
    const refresh = () => void queryClient.invalidateQueries({ queryKey: key });
    return {
      put(operator: OperatorDto) {
        queryClient.setQueryData<OperatorListDto>(key, (old) => {
          if (!old) return old;
          const exists = old.items.some((o) => o.id === operator.id);
          const items = exists ? old.items.map((o) => (o.id === operator.id ? operator : o)) : [...old.items, operator];
          return { items: items.sort((a, b) => a.name.localeCompare(b.name)), total: old.total + (exists ? 0 : 1) };
        });
        refresh();
      },
      remove(operatorId: string) {
        // A deleted operator must not linger as the page's highlighted (pinned) row.
        queryClient.removeQueries({ queryKey: getOperatorQueryKey({ path: { operatorId } }) });
        queryClient.setQueryData<OperatorListDto>(key, (old) => (old ? { items: old.items.filter((o) => o.id !== operatorId), total: Math.max(0, old.total - 1) } : old));
        refresh();
      },
    };
  }, [queryClient]);
}
