import { type Query, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { listBudgetsQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { BudgetDto, BudgetListDto } from '../../api/generated/types.gen.js';
import { queryClient } from '../../lib/query-client.js';
import { readAgain } from '../../lib/read-again.js';
import { isFinal } from '../runs/run-labels.js';
import { runStream } from '../runs/run-stream.js';

const idOf = (query: Query) => (query.queryKey[0] as { _id?: unknown } | undefined)?._id;

/** Queries whose figures move when runs start and finish (holds, spend, the banner). */
const MONEY_QUERIES = new Set(['listBudgets', 'getBudget', 'getSpend']);

/** Keeps the budget list in step with what a change returned, then refetches it (and the audit log) in the background. */
export function useBudgetCache() {
  const qc = useQueryClient();
  return useMemo(() => {
    const key = listBudgetsQueryKey();
    const refresh = () => {
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ predicate: (q) => idOf(q) === 'listAuditEvents' });
    };
    return {
      put(budget: BudgetDto) {
        qc.setQueryData<BudgetListDto>(key, (old) => {
          if (!old) return old;
          const exists = old.items.some((b) => b.id === budget.id);
          return { items: exists ? old.items.map((b) => (b.id === budget.id ? budget : b)) : [...old.items, budget] };
        });
        refresh();
      },
      remove(budgetId: string) {
        qc.setQueryData<BudgetListDto>(key, (old) => (old ? { items: old.items.filter((b) => b.id !== budgetId) } : old));
        refresh();
      },
    };
  }, [qc]);
}

/** Run events come in bursts: refetch the money figures at most once a second. */
const REFRESH_EVERY_MS = 1_000;
let refreshTimer: number | undefined;
let listeners = 0;
let unsubscribe: (() => void) | undefined;

function scheduleMoneyRefresh(): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    void readAgain(queryClient, { predicate: (q) => MONEY_QUERIES.has(String(idOf(q))) });
  }, REFRESH_EVERY_MS);
}

/**
 * While mounted, a run that starts (its worst case is held) or finishes (settled, released) refetches budgets and
 * spend — whenever the run stream is open (a page showing runs or budgets keeps it open). No polling of its own.
 */
export function useMoneyFollowsRuns(): void {
  useEffect(() => {
    listeners++;
    unsubscribe ??= runStream.onChange((change) => {
      if (change.status === 'running' || isFinal(change.status)) scheduleMoneyRefresh();
    });
    return () => {
      listeners--;
      if (listeners === 0) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
    };
  }, []);
}
