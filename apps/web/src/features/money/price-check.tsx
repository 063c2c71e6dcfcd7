import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { getPricesOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { can, useMe } from '../../lib/session.js';

/** Exact name, or a listed name followed by "-" (a dated snapshot such as gpt-4.1-mini-2025-04-14): the API's match. */
function listed(names: string[], model: string): boolean {
  return names.includes(model) || names.some((name) => model.startsWith(`${name}-`));
}

/**
 * Whether Vaultrun knows a price for `model` on `account`, as the API decides it (`priceFor` in
 * packages/providers): a workspace override first, then the mock's own prices (mock accounts price the models they
 * list), then the shipped OpenAI table (OpenAI accounts only — an OpenAI-compatible server's models have only
 * overrides). Undefined while unknown (prices not loaded, or not readable with this role): no warning then.
 */
export function usePriceKnown(account: ProviderAccountDto | undefined, model: string | null): boolean | undefined {
  const me = useMe();
  const prices = useQuery({ ...getPricesOptions(), enabled: can(me, 'budgets:read'), staleTime: 5 * 60_000 });
  if (!account || !model) return undefined;
  if (account.kind === 'mock') return account.models.length ? account.models.includes(model) : undefined;
  if (!prices.data) return undefined;
  if (listed(prices.data.overrides.map((o) => o.model), model)) return true;
  return account.kind === 'openai' && listed(prices.data.table.models.map((m) => m.model), model);
}

/** Said before a run or comparison on a model without a price: what that means, and where to add one. */
export function NoPriceWarning({ account, model, action }: { account: ProviderAccountDto; model: string; action: 'run' | 'comparison' }) {
  const canPrice = useMe().permissions.includes('budgets:manage');
  return (
    <div className="alert alert-warning" role="status" data-testid="no-price-warning">
      <strong>
        No price for <code className="mono">{model}</code> on {account.name}.
      </strong>{' '}
      Vaultrun cannot estimate what this {action} costs: a budget or a cost cap that covers it refuses it, and its cost is reported as unavailable.{' '}
      {canPrice ? <Link to="/budgets#prices">Add a price for the model</Link> : 'An owner or admin can add a price for the model in Budgets.'}
    </div>
  );
}
