import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { getCreditsHistoryOptions, getCreditsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreditGrantDto, CreditsHistoryDto, CreditsDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable } from '../../lib/DataTable.js';
import { formatCount, formatDate } from '../../lib/format.js';
import { formatUsd, microOf } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { Badge, EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { KIND_LABELS } from '../vault/account-labels.js';
import { CONSUMER_TYPE_LABELS, CREDITS_NAME, formatMultiplier, GRANT_KIND_LABELS, GRANT_STATUS } from './credit-labels.js';
import { CreditHistoryChart } from './CreditHistoryChart.js';
import { SwitchToOwnKeyButton } from './SwitchToOwnKeyButton.js';
import './credits.css';

const RANGES = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];

const usd = (micro: string | null | undefined) => formatUsd(microOf(micro));

/**
 * The workspace's Vaultrun credits (docs/console.md, "Credits"): what is left, which grants it came from, what spent
 * it, and the way out to the workspace's own key. Every member may read it; switching needs vault management.
 */
export function CreditsPage() {
  const credits = useQuery({ ...getCreditsOptions(), staleTime: 10_000 });
  return (
    <>
      <PageHeader
        title="Credits"
        description={`${CREDITS_NAME} pay for runs and gateway calls on the accounts your instance administrator connects for you, so you can work without a provider key of your own.`}
      />
      {credits.isPending ? <Loading /> : credits.isError ? <ProblemAlert error={credits.error} /> : <CreditsBody credits={credits.data} />}
    </>
  );
}

export default CreditsPage;

function CreditsBody({ credits }: { credits: CreditsDto }) {
  const canSwitch = useCan('vault:manage');
  if (credits.grants.length === 0 && credits.accounts.length === 0) {
    return (
      <div className="card" data-testid="credits-empty">
        <EmptyState>
          This workspace has no {CREDITS_NAME}. Credits come from your instance administrator: they connect a provider account for your workspace and grant credits
          to pay for it. Until then, runs use your own keys in the <Link to="/vault">Vault</Link>.
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="credits" data-testid="credits">
      <ul className="credit-figures" aria-label="Credit balance">
        <Figure label="Balance" value={usd(credits.balanceMicroUsd)} raw={credits.balanceMicroUsd} testId="credits-balance" note={`${usd(credits.grantedMicroUsd)} granted in all`} tone={credits.exhausted ? 'bad' : credits.lowBalance ? 'warn' : undefined} />
        <Figure label="Held by running work" value={usd(credits.heldMicroUsd)} raw={credits.heldMicroUsd} testId="credits-held" note="released or spent when each run ends" />
        <Figure label="Available" value={usd(credits.availableMicroUsd)} raw={credits.availableMicroUsd} testId="credits-available" note="what new runs may hold" />
        <Figure label="Spent" value={usd(credits.spentMicroUsd)} raw={credits.spentMicroUsd} testId="credits-spent" note={microOf(credits.forfeitedMicroUsd) ? `${usd(credits.forfeitedMicroUsd)} expired unused` : 'since the first grant'} />
      </ul>

      {credits.exhausted ? (
        <div className="alert alert-error" role="alert" data-testid="credits-exhausted-note">
          Your credits are used up: runs and gateway calls on the accounts below are refused. Ask your instance administrator for credits, or switch to your own key.
        </div>
      ) : null}
      {credits.priceMultiplierPermille !== 1000 ? (
        <p className="alert alert-info" data-testid="credits-multiplier-note" data-permille={credits.priceMultiplierPermille}>
          Prices on {CREDITS_NAME} include the instance&apos;s {formatMultiplier(credits.priceMultiplierPermille)} multiplier: a run costs its provider price times{' '}
          {formatMultiplier(credits.priceMultiplierPermille).slice(1)}.
        </p>
      ) : null}

      <section className="card" aria-labelledby="credit-accounts-heading" data-testid="credit-accounts">
        <div className="section-heading section-heading-spread">
          <div>
            <h2 id="credit-accounts-heading">Accounts paid with credits</h2>
            <p className="card-description">Your operators, gateway routes and tokens use these like any account; your instance administrator keeps their keys.</p>
          </div>
          {canSwitch && credits.accounts.length > 0 ? <SwitchToOwnKeyButton connectors={credits.accounts} /> : null}
        </div>
        {credits.accounts.length === 0 ? (
          <p className="muted small">No account is offered to this workspace any more: the balance stays for when one is.</p>
        ) : (
          <ul className="credit-accounts">
            {credits.accounts.map((a) => (
              <li key={a.id} data-testid="credit-account" data-account-id={a.id}>
                <span className={`kind-mark kind-mark-${a.kind}`} aria-hidden="true" />
                <span className="cell-strong">{a.name}</span> <span className="muted small">{KIND_LABELS[a.kind as keyof typeof KIND_LABELS] ?? a.kind}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <GrantsTable grants={credits.grants} />
      <HistorySection />
    </div>
  );
}

function Figure({ label, value, raw, note, testId, tone }: { label: string; value: string; raw: string; note: string; testId: string; tone?: 'bad' | 'warn' }) {
  return (
    <li className={`credit-figure${tone ? ` credit-figure-${tone}` : ''}`} data-testid={testId} data-micro-usd={raw}>
      <span className="credit-figure-label">{label}</span>
      <strong className="credit-figure-value">{value}</strong>
      <span className="credit-figure-note">{note}</span>
    </li>
  );
}

function GrantsTable({ grants }: { grants: CreditGrantDto[] }) {
  const columns: Column<CreditGrantDto>[] = [
    {
      key: 'kind',
      header: 'Kind',
      primary: true,
      cell: (g) => (
        <span>
          <span className="cell-strong">{GRANT_KIND_LABELS[g.kind]}</span>
          <span className="cell-sub">{formatDate(g.createdAt)}</span>
        </span>
      ),
    },
    { key: 'amount', header: 'Amount', align: 'right', cell: (g) => usd(g.amountMicroUsd) },
    { key: 'used', header: 'Used', align: 'right', cell: (g) => usd(g.usedMicroUsd) },
    { key: 'remaining', header: 'Remaining', align: 'right', cell: (g) => <span data-testid="credit-grant-remaining">{usd(g.remainingMicroUsd)}</span> },
    { key: 'expires', header: 'Expires', cell: (g) => formatDate(g.expiresAt, 'Never') },
    {
      key: 'status',
      header: 'Status',
      cell: (g) => (
        <Badge tone={GRANT_STATUS[g.status].tone} testId="credit-grant-status">
          {GRANT_STATUS[g.status].label}
        </Badge>
      ),
    },
    {
      key: 'reference',
      header: 'Reference',
      cell: (g) =>
        g.reference || g.note ? (
          <span>
            {g.reference ? <code className="mono">{g.reference}</code> : null}
            {g.note ? <span className="cell-sub">{g.note}</span> : null}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
  ];
  return (
    <section className="card" aria-labelledby="credit-grants-heading">
      <h2 id="credit-grants-heading">Grants and top-ups</h2>
      <p className="card-description">Spending uses the grant that expires first; what is left of a grant when it expires is forfeited.</p>
      <DataTable
        label="Credit grants"
        columns={columns}
        rows={grants}
        rowKey={(g) => g.id}
        rowTestId="credit-grant-row"
        rowData={(g) => ({ 'grant-id': g.id, status: g.status, kind: g.kind })}
        rowClassName={(g) => (g.status === 'active' ? undefined : 'row-muted')}
        empty="No credits were granted yet."
      />
    </section>
  );
}

function HistorySection() {
  const [days, setDays] = useState(30);
  const history = useQuery({ ...getCreditsHistoryOptions({ query: { days } }), placeholderData: keepPreviousData });
  return (
    <section className="card" aria-labelledby="credit-history-heading" data-testid="credit-history">
      <div className="section-heading section-heading-spread">
        <div>
          <h2 id="credit-history-heading">History</h2>
          <p className="card-description">Credits spent and added per UTC day, and what consumed them.</p>
        </div>
        <label className="filter-select">
          <span className="filter-label">Range</span>
          <select data-testid="credit-history-range" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {history.isPending ? (
        <Loading />
      ) : history.isError ? (
        <ProblemAlert error={history.error} />
      ) : (
        <>
          <CreditHistoryChart days={history.data.days} />
          <ConsumersTable consumers={history.data.consumers} />
        </>
      )}
    </section>
  );
}

type Consumer = CreditsHistoryDto['consumers'][number];

function ConsumersTable({ consumers }: { consumers: Consumer[] }) {
  const columns: Column<Consumer>[] = [
    { key: 'name', header: 'Consumer', primary: true, cell: (c) => <span className="cell-strong">{c.name}</span> },
    { key: 'type', header: 'Type', cell: (c) => CONSUMER_TYPE_LABELS[c.type] },
    { key: 'runs', header: 'Runs', align: 'right', cell: (c) => formatCount(c.runs) },
    { key: 'spent', header: 'Credits spent', align: 'right', cell: (c) => usd(c.spentMicroUsd) },
  ];
  return (
    <>
      <h3 id="credit-consumers-heading" className="credit-subheading">
        What consumed them
      </h3>
      <DataTable
        label="What consumed the credits"
        columns={columns}
        rows={consumers}
        rowKey={(c) => `${c.type}:${c.id ?? c.name}`}
        rowTestId="credit-consumer-row"
        rowData={(c) => ({ type: c.type, name: c.name, 'micro-usd': c.spentMicroUsd })}
        empty="Nothing spent credits in this range."
      />
    </>
  );
}
