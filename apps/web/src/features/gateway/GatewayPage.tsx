import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  deleteGatewayRouteMutation,
  getGatewayInfoOptions,
  getGatewayUsageOptions,
  getWorkspaceOptions,
  listGatewayRoutesOptions,
  listGatewayRoutesQueryKey,
  listProviderAccountsOptions,
  listRunsOptions,
} from '../../api/generated/@tanstack/react-query.gen.js';
import type { GatewayRouteDto, GatewayTokenUsageDto, GatewayUsageTotalsDto, ProviderAccountDto, RunDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect } from '../../lib/DataTable.js';
import { formatCount, formatDateTime, formatDuration, formatRelative } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { useCan } from '../../lib/session.js';
import { Badge, ConfirmButton, CopyButton, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { COST_LABELS } from '../money/cost-labels.js';
import { CostLabelBadge, CostWithLabel } from '../money/CostLabelBadge.js';
import { RunStatusChip } from '../runs/RunStatus.js';
import { canRun } from '../vault/AccountPickers.js';
import { statusLabel } from '../vault/account-labels.js';
import { RouteEditor } from './RouteEditor.js';
import { gatewaySnippets, type SnippetId } from './snippets.js';
import './gateway.css';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PERIODS = [
  { value: '24h', label: 'Last 24 hours', ms: DAY_MS },
  { value: '7d', label: 'Last 7 days', ms: 7 * DAY_MS },
  { value: '30d', label: 'Last 30 days', ms: 30 * DAY_MS },
] as const;
const RECENT_CALLS = 20;
/** Recent calls and usage are read again this often while the page is open (an app may be calling right now). */
const REFRESH_MS = 5_000;

/**
 * The OpenAI-compatible gateway (docs/gateway.md): how an app connects (base URL and snippets), the model routes
 * (a public model name → ordered targets), what each API token used, and the latest calls. Everyone who may read the
 * vault sees it; vault managers edit routes.
 */
export function GatewayPage() {
  const canSeeRuns = useCan('runs:read');
  return (
    <>
      <PageHeader
        title="Gateway"
        description="Apps, scripts and agent frameworks that speak the OpenAI API call models through Vaultrun: point the client's base URL here and use a Vaultrun API token with the inference scope. Every call runs on the vault's keys, within the accounts' limits and the budgets, and is recorded."
      />
      <ConnectCard />
      <RoutesCard />
      {canSeeRuns ? (
        <>
          <UsageCard />
          <RecentCallsCard />
        </>
      ) : null}
    </>
  );
}

export default GatewayPage;

function ConnectCard() {
  const info = useQuery(getGatewayInfoOptions());
  const routes = useQuery(listGatewayRoutesOptions());
  const [tab, setTab] = useState<SnippetId>('curl');
  if (info.isPending) return <Loading />;
  if (info.error) return <ProblemAlert error={info.error} title="Could not load the gateway's settings:" />;
  const model = routes.data?.items[0]?.name ?? 'mock-fast';
  const snippets = gatewaySnippets(info.data.baseUrl, model);
  const shown = snippets.find((s) => s.id === tab) ?? snippets[0]!;
  return (
    <section className="card" aria-labelledby="gateway-connect-heading">
      <h2 id="gateway-connect-heading">Connect an app</h2>
      <div className="gateway-base-url">
        <span className="gateway-base-url-label">Base URL</span>
        <code className="mono gateway-base-url-value" data-testid="gateway-base-url">
          {info.data.baseUrl}
        </code>
        <CopyButton text={info.data.baseUrl} label="Copy the base URL" testId="gateway-base-url-copy" />
      </div>
      <p className="muted small">
        The key is an <Link to="/tokens">API token</Link> with the <strong>inference</strong> scope (it starts with <code className="mono">vr_</code>).
        The examples below carry a placeholder, never a token. Endpoints: {info.data.endpoints.map((e) => e.replace(/^(GET|POST) /, '')).join(', ')}. Call records keep{' '}
        {info.data.retention === 'keep_bodies' ? 'prompts and answers' : 'metadata only (no prompts, no answers)'} — a workspace setting.
      </p>
      <div className="toggle-chips" role="tablist" aria-label="Example">
        {snippets.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={`gateway-snippet-tab-${s.id}`}
            aria-selected={s.id === shown.id}
            aria-controls="gateway-snippet-panel"
            className={`toggle-chip${s.id === shown.id ? ' toggle-chip-on' : ''}`}
            data-testid={`gateway-snippet-tab-${s.id}`}
            onClick={() => setTab(s.id)}
          >
            {s.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="gateway-snippet-panel" aria-labelledby={`gateway-snippet-tab-${shown.id}`} className="gateway-snippet">
        {shown.install ? (
          <p className="small muted">
            Install: <code className="mono">{shown.install}</code>
          </p>
        ) : null}
        <pre className="gateway-code" tabIndex={0} aria-label={`${shown.label} example`} data-testid="gateway-snippet">
          <code>{shown.code}</code>
        </pre>
        <CopyButton text={shown.code} label="Copy the example" testId="gateway-snippet-copy" />
      </div>
    </section>
  );
}

function RoutesCard() {
  const canManage = useCan('vault:manage');
  const routes = useQuery(listGatewayRoutesOptions());
  const accounts = useQuery(listProviderAccountsOptions());
  const workspace = useQuery({ ...getWorkspaceOptions(), enabled: canManage });
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<GatewayRouteDto | 'new' | null>(null);
  const [savedId, setSavedId] = useState<string | null>(null);
  const remove = useMutation({
    ...deleteGatewayRouteMutation(),
    onSettled: () => queryClient.invalidateQueries({ queryKey: listGatewayRoutesQueryKey() }),
  });
  const accountList = accounts.data?.items ?? [];
  const accountOf = (id: string) => accountList.find((a) => a.id === id);

  const columns: Column<GatewayRouteDto>[] = [
    {
      key: 'name',
      header: 'Model name',
      primary: true,
      cell: (r) => (
        <span>
          <code className="mono cell-strong" data-testid="route-row-name">
            {r.name}
          </code>
          {r.id === savedId ? <span className="new-badge">Saved</span> : null}
          {r.description ? <span className="muted small route-description">{r.description}</span> : null}
        </span>
      ),
    },
    {
      key: 'targets',
      header: 'Targets, in order',
      cell: (r) => <TargetList route={r} accountOf={accountOf} />,
    },
    ...(canManage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            label: '',
            cell: (r: GatewayRouteDto) => (
              <span className="row-actions">
                <button type="button" className="btn btn-secondary btn-small" onClick={() => setEditing(r)} data-testid="route-edit">
                  Edit
                </button>
                <ConfirmButton
                  label="Delete"
                  title={`Delete the route “${r.name}”?`}
                  message={<p>Apps that send the model name “{r.name}” then reach it as any other model name: a model of the default account, or a 404.</p>}
                  confirmLabel="Delete route"
                  busy={remove.isPending && remove.variables?.path.routeId === r.id}
                  onConfirm={() => remove.mutate({ path: { routeId: r.id } })}
                  testId="route-delete"
                />
              </span>
            ),
          },
        ]
      : []),
  ];

  return (
    <section className="card" aria-labelledby="gateway-routes-heading">
      <div className="section-heading section-heading-spread">
        <h2 id="gateway-routes-heading">Model routes</h2>
        {canManage && editing === null ? (
          <button type="button" className="btn btn-primary btn-small" onClick={() => setEditing('new')} data-testid="route-new">
            New route
          </button>
        ) : null}
      </div>
      <p className="muted small">
        A route maps a model name apps send to accounts and models of the vault, tried in order. Without a route, apps send <code className="mono">account-name/model</code>{' '}
        or a model of the workspace&apos;s default account.
      </p>
      {editing !== null && canManage ? (
        accounts.isPending ? (
          <Loading />
        ) : (
          <RouteEditor
            key={editing === 'new' ? 'new' : editing.id}
            route={editing === 'new' ? undefined : editing}
            accounts={accountList}
            defaultAccountId={workspace.data?.defaultAccountId ?? null}
            onDone={(saved) => {
              setEditing(null);
              setSavedId(saved.id);
            }}
            onCancel={() => setEditing(null)}
          />
        )
      ) : null}
      <ProblemAlert error={remove.error} title="Could not delete the route:" />
      <DataTable
        label="Model routes"
        columns={columns}
        rows={routes.data?.items ?? []}
        rowKey={(r) => r.id}
        rowTestId="route-row"
        rowData={(r) => ({ 'route-id': r.id, 'route-name': r.name })}
        highlightId={savedId}
        loading={routes.isPending}
        error={routes.error}
        summary={routes.data ? `${routes.data.items.length} ${routes.data.items.length === 1 ? 'route' : 'routes'}` : null}
        empty={canManage ? 'No model routes yet. Create one to give apps a stable model name with fallbacks.' : 'No model routes yet.'}
      />
    </section>
  );
}

function TargetList({ route, accountOf }: { route: GatewayRouteDto; accountOf: (id: string) => ProviderAccountDto | undefined }) {
  return (
    <ol className="route-target-list">
      {route.targets.map((t, i) => {
        const account = accountOf(t.accountId);
        return (
          <li key={`${t.accountId}-${i}`} data-testid="route-row-target">
            <span className="route-target-account">{t.accountName ?? 'Deleted account'}</span> · <code className="mono">{t.model}</code>
            {t.accountName === null ? (
              <Badge tone="grey">skipped</Badge>
            ) : account && !canRun(account) ? (
              <span title={`Calls skip this target: ${statusLabel(account)}`}>
                <Badge tone="red" testId="route-row-cannot-run">
                  cannot run
                </Badge>
              </span>
            ) : null}
          </li>
        );
      })}
      {route.hiddenTargets ? (
        <li className="muted small">
          + {route.hiddenTargets} on {route.hiddenTargets === 1 ? 'an account' : 'accounts'} not shared with you
        </li>
      ) : null}
    </ol>
  );
}

/** A period's range, ending at the end of the current hour: the same query — the same cache entry — for the whole hour. */
function rangeOf(ms: number, now = Date.now()) {
  const until = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  return { since: new Date(until - ms).toISOString(), until: new Date(until).toISOString() };
}

function UsageCard() {
  const [params, setParams] = useSearchParams();
  const period = PERIODS.find((p) => p.value === params.get('period')) ?? PERIODS[2];
  const usage = useQuery({ ...getGatewayUsageOptions({ query: rangeOf(period.ms) }), placeholderData: keepPreviousData, refetchInterval: REFRESH_MS });
  const setPeriod = (value: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value === PERIODS[2].value) next.delete('period');
        else next.set('period', value);
        return next;
      },
      { replace: true },
    );

  const columns: Column<GatewayTokenUsageDto>[] = [
    {
      key: 'token',
      header: 'API token',
      primary: true,
      cell: (t) => (
        <span>
          <span className="cell-strong">{t.name ?? 'Deleted token'}</span>
          {t.prefix ? <code className="mono muted small usage-prefix">{t.prefix}…</code> : null}
        </span>
      ),
    },
    { key: 'calls', header: 'Calls', align: 'right', cell: (t) => <CallCounts usage={t} /> },
    {
      key: 'tokens',
      header: 'Tokens',
      align: 'right',
      cell: (t) => (
        <span data-testid="usage-tokens" data-input={t.inputTokens} data-output={t.outputTokens}>
          {formatCount(t.inputTokens + t.outputTokens)}
          <span className="muted small">
            {' '}
            ({formatCount(t.inputTokens)} in · {formatCount(t.outputTokens)} out)
          </span>
        </span>
      ),
    },
    { key: 'cost', header: 'Cost by label', cell: (t) => <CostByLabel usage={t} /> },
  ];

  return (
    <section className="card" aria-labelledby="gateway-usage-heading">
      <div className="section-heading section-heading-spread">
        <h2 id="gateway-usage-heading">Usage by API token</h2>
        <FilterSelect label="Period" value={period.value} onChange={setPeriod} options={PERIODS.map((p) => ({ value: p.value, label: p.label }))} testId="usage-period" />
      </div>
      {usage.data ? (
        <p className="muted small" data-testid="usage-total" data-calls={usage.data.total.calls} data-micro-usd={usage.data.total.spend.costMicroUsd}>
          {formatCount(usage.data.total.calls)} {usage.data.total.calls === 1 ? 'call' : 'calls'} · {formatCount(usage.data.total.inputTokens + usage.data.total.outputTokens)} tokens ·{' '}
          {formatUsd(usage.data.total.spend.costMicroUsd)} known cost
          {usage.data.total.spend.byLabel.unavailable.runs ? ` (+ ${formatCount(usage.data.total.spend.byLabel.unavailable.runs)} with cost unavailable)` : ''}
        </p>
      ) : null}
      <DataTable
        label="Gateway usage by API token"
        columns={columns}
        rows={usage.data?.tokens ?? []}
        rowKey={(t) => t.tokenId}
        rowTestId="usage-row"
        rowData={(t) => ({ 'token-id': t.tokenId, calls: String(t.calls) })}
        loading={usage.isPending}
        error={usage.error}
        empty="No gateway calls in this period."
      />
    </section>
  );
}

function CallCounts({ usage }: { usage: GatewayUsageTotalsDto }) {
  const other = usage.calls - usage.succeeded - usage.failed - usage.blocked;
  const parts = [usage.failed ? `${formatCount(usage.failed)} failed` : null, usage.blocked ? `${formatCount(usage.blocked)} blocked` : null, other > 0 ? `${formatCount(other)} other` : null].filter(Boolean);
  return (
    <span data-testid="usage-calls" data-calls={usage.calls}>
      {formatCount(usage.calls)}
      {parts.length ? <span className="muted small"> ({parts.join(', ')})</span> : null}
    </span>
  );
}

/** The known total, then each label that has calls: an amount and its badge (unavailable: a count, never $0). */
function CostByLabel({ usage }: { usage: GatewayUsageTotalsDto }) {
  const labels = COST_LABELS.filter((l) => usage.spend.byLabel[l].runs > 0);
  if (!labels.length) return <span className="muted">No cost</span>;
  return (
    <ul className="usage-labels" data-testid="usage-cost" data-micro-usd={usage.spend.costMicroUsd}>
      {labels.map((label) => {
        const part = usage.spend.byLabel[label];
        return (
          <li key={label} data-testid="usage-cost-label" data-label={label} data-micro-usd={part.costMicroUsd ?? ''} data-calls={part.runs}>
            <strong>{label === 'unavailable' ? `${formatCount(part.runs)} ${part.runs === 1 ? 'call' : 'calls'}` : formatUsd(part.costMicroUsd)}</strong> <CostLabelBadge label={label} testId="usage-cost-badge" />
          </li>
        );
      })}
    </ul>
  );
}

function RecentCallsCard() {
  const runs = useQuery({ ...listRunsOptions({ query: { kind: 'gateway', limit: RECENT_CALLS } }), refetchInterval: REFRESH_MS });
  const accounts = useQuery({ ...listProviderAccountsOptions() });
  const accountName = (id: string | null) => (id ? (accounts.data?.items.find((a) => a.id === id)?.name ?? (accounts.isPending ? '…' : 'Account not shared with you')) : '—');
  const columns: Column<RunDto>[] = [
    {
      key: 'call',
      header: 'Call',
      primary: true,
      cell: (r) => (
        <span>
          <Link to={`/runs/${r.id}`} className="run-link" data-testid="call-link">
            <code className="mono">{r.gateway?.requestedModel ?? r.model}</code>
          </Link>
          <span className="muted small call-meta">
            {r.gateway ? `${r.gateway.endpoint}${r.gateway.stream ? ' · stream' : ''}` : ''}
            {r.startedBy.label ? ` · ${r.startedBy.label}` : ''}
          </span>
        </span>
      ),
    },
    { key: 'status', header: 'Status', cell: (r) => <RunStatusChip status={r.status} /> },
    {
      key: 'served',
      header: 'Served by',
      cell: (r) => (
        <span>
          <span data-testid="call-account">{accountName(r.accountId)}</span> · <code className="mono" data-testid="call-model">{r.model || '—'}</code>
          {r.gateway && r.gateway.attempts > 1 ? <span className="muted small"> ({r.gateway.attempts} attempts)</span> : null}
        </span>
      ),
    },
    {
      key: 'latency',
      header: 'First byte / total',
      align: 'right',
      cell: (r) => (
        <span className="nowrap" data-testid="call-latency" data-ttfb={r.gateway?.ttfbMs ?? ''} data-total={r.gateway?.totalMs ?? ''}>
          {formatDuration(r.gateway?.ttfbMs)} / {formatDuration(r.gateway?.totalMs)}
        </span>
      ),
    },
    {
      key: 'tokens',
      header: 'Tokens',
      align: 'right',
      cell: (r) => (r.usage ? formatCount(r.usage.inputTokens + r.usage.outputTokens) : <span className="muted">—</span>),
    },
    {
      key: 'cost',
      header: 'Cost',
      align: 'right',
      cell: (r) => <CostWithLabel costMicroUsd={r.costMicroUsd} costLabel={r.costLabel} none="—" testId="call-cost" />,
    },
    {
      key: 'when',
      header: 'When',
      cell: (r) => (
        <span className="nowrap" title={formatDateTime(r.createdAt)}>
          {formatRelative(r.createdAt)}
        </span>
      ),
    },
  ];
  return (
    <section className="card" aria-labelledby="gateway-calls-heading">
      <div className="section-heading section-heading-spread">
        <h2 id="gateway-calls-heading">Recent calls</h2>
        <Link to="/runs" className="small">
          All runs
        </Link>
      </div>
      <DataTable
        label="Recent gateway calls"
        columns={columns}
        rows={runs.data?.items ?? []}
        rowKey={(r) => r.id}
        rowTestId="call-row"
        rowData={(r) => ({ 'run-id': r.id, status: r.status })}
        loading={runs.isPending}
        error={runs.error}
        summary={runs.data?.items.length ? `The latest ${runs.data.items.length} ${runs.data.items.length === 1 ? 'call' : 'calls'}` : null}
        empty="No gateway calls yet. Calls appear here as soon as an app makes them."
      />
    </section>
  );
}
