import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { listOperatorsOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { OperatorDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { useCan } from '../../lib/session.js';

export interface RunLookups {
  accounts: ProviderAccountDto[];
  operators: OperatorDto[];
  account(id: string | null | undefined): ProviderAccountDto | undefined;
  operator(id: string | null | undefined): OperatorDto | undefined;
  accountName(id: string | null | undefined): string;
  operatorName(id: string | null | undefined): string;
}

/** Names for the ids a run carries (accounts the user may see, the workspace's operators). */
export function useRunLookups(): RunLookups {
  const canSeeAccounts = useCan('vault:read');
  const canSeeOperators = useCan('operators:read');
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canSeeAccounts });
  const operators = useQuery({ ...listOperatorsOptions(), enabled: canSeeOperators });
  return useMemo(() => {
    const accountList = accounts.data?.items ?? [];
    const operatorList = operators.data?.items ?? [];
    const accountById = new Map(accountList.map((a) => [a.id, a]));
    const operatorById = new Map(operatorList.map((o) => [o.id, o]));
    return {
      accounts: accountList,
      operators: operatorList,
      account: (id) => (id ? accountById.get(id) : undefined),
      operator: (id) => (id ? operatorById.get(id) : undefined),
      accountName: (id) => (!id ? '—' : (accountById.get(id)?.name ?? (accounts.isLoading ? '…' : `Account ${id.slice(0, 8)}`))),
      operatorName: (id) => (!id ? '—' : (operatorById.get(id)?.name ?? (operators.isLoading ? '…' : `Operator ${id.slice(0, 8)}`))),
    };
  }, [accounts.data, accounts.isLoading, operators.data, operators.isLoading]);
}
