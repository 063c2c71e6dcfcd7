import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { listAuditActionsOptions, listAuditEventsInfiniteOptions, listMembersOptions, listTokensOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { AuditEventDto, ListAuditEventsData } from '../../api/generated/types.gen.js';
import { type Column, DataTable, FilterSelect } from '../../lib/DataTable.js';
import { formatDateTime } from '../../lib/format.js';
import { useListState } from '../../lib/list-state.js';
import { Badge, PageHeader } from '../../lib/ui.js';
import { actionGroup, actorHref, changesOf, otherFacts, showValue, TARGET_TYPES, targetHref, targetTypeLabel } from './audit-labels.js';
import './audit.css';

type AuditQuery = NonNullable<ListAuditEventsData['query']>;
const PAGE_SIZE = 50;
const FILTERS = ['action', 'actor', 'targetType', 'targetId', 'from', 'to', 'outcome'];
const NO_SORT = { key: 'time', direction: 'desc' } as const;
const DAY_MS = 86_400_000;

/** The page's filters as the API's query (UTC days for the date range; the `to` day is included). */
function queryOf(f: Record<string, string>): AuditQuery {
  const q: AuditQuery = {};
  if (f.action) q.action = f.action;
  if (f.outcome === 'success' || f.outcome === 'failure') q.outcome = f.outcome;
  if (f.actor === 'system') q.actorType = 'system';
  else if (f.actor) q.actorId = f.actor.slice(f.actor.indexOf(':') + 1);
  if (f.targetType) q.targetType = f.targetType;
  if (f.targetId) q.targetId = f.targetId;
  if (f.from) q.since = `${f.from}T00:00:00.000Z`;
  if (f.to) q.until = new Date(Date.parse(`${f.to}T00:00:00.000Z`) + DAY_MS).toISOString();
  return q;
}

export function AuditPage() {
  const list = useListState({ filters: FILTERS, defaultSort: NO_SORT });
  const f = list.filters;
  const query = queryOf(f);
  const events = useInfiniteQuery({
    ...listAuditEventsInfiniteOptions({ query: { ...query, limit: PAGE_SIZE } }),
    // The first page has no cursor; each next page asks for the previous page's nextCursor.
    initialPageParam: {},
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const actions = useQuery(listAuditActionsOptions());
  const members = useQuery(listMembersOptions());
  const tokens = useQuery(listTokensOptions());
  const [open, setOpen] = useState<AuditEventDto | null>(null);
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  const csvHref = `/api/v1/audit-events.csv${Object.keys(query).length ? `?${new URLSearchParams(query as Record<string, string>).toString()}` : ''}`;
  const targetName = f.targetId ? (items.find((e) => e.target?.id === f.targetId)?.target?.name ?? f.targetId.slice(0, 8)) : null;

  const actionOptions = groupActions(actions.data?.items.map((a) => a.action) ?? []);
  const actorOptions = [
    { value: '', label: 'Anyone' },
    ...(members.data?.items ?? []).map((m) => ({ value: `user:${m.userId}`, label: m.email })),
    ...(tokens.data?.items ?? []).map((t) => ({ value: `token:${t.id}`, label: `API token: ${t.name}` })),
    { value: 'system', label: 'Vaultrun (guardrails, scheduled checks)' },
  ];

  const columns: Column<AuditEventDto>[] = [
    { key: 'time', header: 'Time', cell: (e) => <span className="nowrap">{formatDateTime(e.createdAt)}</span> },
    {
      key: 'actor',
      header: 'Actor',
      cell: (e) => {
        const href = actorHref(e.actor);
        return (
          <span>
            {href ? (
              <Link to={href} className="cell-strong" data-testid="audit-actor-link">
                {e.actor.label}
              </Link>
            ) : (
              <span className="cell-strong">{e.actor.label || e.actor.type}</span>
            )}
            {e.actor.type !== 'user' ? <span className="muted small"> ({e.actor.type === 'system' ? 'Vaultrun' : e.actor.type})</span> : null}
          </span>
        );
      },
    },
    {
      key: 'action',
      header: 'Action',
      primary: true,
      cell: (e) => (
        <code className="mono" data-testid="audit-action">
          {e.action}
        </code>
      ),
    },
    {
      key: 'target',
      header: 'Target',
      cell: (e) => {
        if (!e.target) return <span className="muted">—</span>;
        const href = targetHref(e.target);
        const name = e.target.name ?? (e.target.id ? e.target.id.slice(0, 8) : '');
        return (
          <span className="audit-target">
            <span className="cell-sub">{targetTypeLabel(e.target.type)}</span>
            {href ? (
              <Link to={href} data-testid="audit-target-link">
                {name}
              </Link>
            ) : (
              <span data-testid="audit-target-name">
                {name}
                {e.target.id && !e.target.exists ? <span className="muted small"> (deleted)</span> : null}
              </span>
            )}
            {e.target.id && f.targetId !== e.target.id ? (
              <button
                type="button"
                className="btn btn-ghost btn-small audit-target-filter"
                data-testid="audit-filter-by-target"
                onClick={() => list.setFilters({ targetType: e.target!.type, targetId: e.target!.id! })}
              >
                Only this
                <span className="visually-hidden"> {targetTypeLabel(e.target.type).toLowerCase()}</span>
              </button>
            ) : null}
          </span>
        );
      },
    },
    {
      key: 'outcome',
      header: 'Outcome',
      cell: (e) => (
        <Badge tone={e.outcome === 'success' ? 'green' : 'red'} testId="audit-outcome">
          {e.outcome}
        </Badge>
      ),
    },
    {
      key: 'view',
      header: <span className="visually-hidden">Details</span>,
      label: '',
      cell: (e) => (
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setOpen(e)} data-testid="audit-open">
          Details<span className="visually-hidden"> of {e.action}</span>
        </button>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="An append-only record of every change to the vault, budgets, members and tokens, newest first. It never holds secret material."
        actions={
          <a className="btn btn-secondary" href={csvHref} download data-testid="audit-export">
            Export CSV
          </a>
        }
      />
      <section className="card">
        <form className="audit-filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
          <ActionPicker value={f.action ?? ''} onChange={(v) => list.setFilter('action', v)} groups={actionOptions} />
          <FilterSelect label="Actor" value={f.actor ?? ''} onChange={(v) => list.setFilter('actor', v)} options={actorOptions} testId="audit-filter-actor" />
          <FilterSelect
            label="Target"
            value={f.targetType ?? ''}
            onChange={(v) => list.setFilters({ targetType: v, targetId: '' })}
            options={[{ value: '', label: 'Anything' }, ...TARGET_TYPES]}
            testId="audit-filter-target-type"
          />
          <DateField label="From (UTC)" value={f.from ?? ''} onChange={(v) => list.setFilter('from', v)} testId="audit-filter-from" />
          <DateField label="To (UTC)" value={f.to ?? ''} onChange={(v) => list.setFilter('to', v)} testId="audit-filter-to" />
          <FilterSelect
            label="Outcome"
            value={f.outcome ?? ''}
            onChange={(v) => list.setFilter('outcome', v)}
            options={[
              { value: '', label: 'Any' },
              { value: 'success', label: 'Success' },
              { value: 'failure', label: 'Failure' },
            ]}
            testId="audit-filter-outcome"
          />
          {list.narrowed ? (
            <button type="button" className="btn btn-ghost btn-small audit-clear" onClick={list.clear} data-testid="audit-clear">
              Clear filters
            </button>
          ) : null}
        </form>
        {targetName ? (
          <p className="audit-chip" data-testid="audit-target-chip">
            Only events about {targetTypeLabel(f.targetType ?? '').toLowerCase()} <strong>{targetName}</strong>{' '}
            <button type="button" className="btn btn-ghost btn-small" onClick={() => list.setFilter('targetId', '')}>
              Show all {targetTypeLabel(f.targetType ?? '').toLowerCase()}s
            </button>
          </p>
        ) : null}

        <DataTable
          label="Audit events"
          columns={columns}
          rows={items}
          rowKey={(e) => e.id}
          rowTestId="audit-row"
          rowData={(e) => ({ action: e.action, 'event-id': e.id })}
          loading={events.isPending}
          error={events.isFetchNextPageError ? events.error : items.length ? null : events.error}
          empty="No events match."
        />
        {items.length ? (
          <div className="table-footer">
            <span className="muted">
              {items.length} event{items.length === 1 ? '' : 's'} shown
            </span>
            {events.hasNextPage ? (
              <button type="button" className="btn btn-secondary" data-testid="audit-load-more" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
                {events.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted">End of the log</span>
            )}
          </div>
        ) : null}
      </section>
      <EventDrawer event={open} onClose={() => setOpen(null)} />
    </>
  );
}

export default AuditPage;

interface ActionGroup {
  group: string;
  actions: string[];
}

function groupActions(actions: string[]): ActionGroup[] {
  const groups = new Map<string, string[]>();
  for (const a of actions) groups.set(actionGroup(a), [...(groups.get(actionGroup(a)) ?? []), a]);
  return [...groups].map(([group, list]) => ({ group, actions: list }));
}

/** The actions recorded in this workspace, grouped (member.*, vault.account.*, …); a group as a whole is a prefix. */
function ActionPicker({ value, onChange, groups }: { value: string; onChange: (value: string) => void; groups: ActionGroup[] }) {
  const id = useId();
  return (
    <div className="list-filter">
      <label htmlFor={id} className="filter-label">
        Action
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="audit-filter-action">
        <option value="">Any action</option>
        {value && !groups.some((g) => `${g.group}.` === value || g.actions.includes(value)) ? <option value={value}>{value}</option> : null}
        {groups.map((g) => (
          <optgroup key={g.group} label={g.group}>
            {g.actions.length > 1 ? <option value={`${g.group}.`}>All {g.group} actions</option> : null}
            {g.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

function DateField({ label, value, onChange, testId }: { label: string; value: string; onChange: (value: string) => void; testId: string }) {
  const id = useId();
  return (
    <div className="list-filter">
      <label htmlFor={id} className="filter-label">
        {label}
      </label>
      <input id={id} type="date" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </div>
  );
}

/** One event in full: who, what, on what, and what changed (before/after where it was recorded). */
function EventDrawer({ event, onClose }: { event: AuditEventDto | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  useEffect(() => {
    if (event && !dialog.current?.open) dialog.current?.showModal();
  }, [event]);
  return (
    <dialog ref={dialog} className="drawer" aria-labelledby={headingId} onClose={onClose} data-testid="audit-drawer">
      {event ? <EventDetail event={event} headingId={headingId} close={() => dialog.current?.close()} /> : null}
    </dialog>
  );
}

function EventDetail({ event, headingId, close }: { event: AuditEventDto; headingId: string; close: () => void }) {
  const changes = changesOf(event.metadata);
  const changed = Array.isArray(event.metadata.changed) ? (event.metadata.changed as unknown[]).map(String) : [];
  const unrecorded = changed.filter((c) => !changes.some((x) => x.field === c));
  const facts = otherFacts(event.metadata);
  const href = event.target ? targetHref(event.target) : null;
  const actor = actorHref(event.actor);
  return (
    <>
      <div className="drawer-head">
        <h2 id={headingId}>
          <code className="mono">{event.action}</code>
        </h2>
        <button type="button" className="btn btn-ghost btn-small" onClick={close} data-testid="audit-drawer-close">
          Close
        </button>
      </div>
      <dl className="facts drawer-facts">
        <div className="fact">
          <dt>When</dt>
          <dd>{formatDateTime(event.createdAt)}</dd>
        </div>
        <div className="fact">
          <dt>Outcome</dt>
          <dd>
            <Badge tone={event.outcome === 'success' ? 'green' : 'red'}>{event.outcome}</Badge>
          </dd>
        </div>
        <div className="fact">
          <dt>Actor</dt>
          <dd>
            {actor ? <Link to={actor}>{event.actor.label}</Link> : event.actor.label || event.actor.type} <span className="muted small">({event.actor.type})</span>
          </dd>
        </div>
        <div className="fact">
          <dt>Target</dt>
          <dd>
            {event.target ? (
              <>
                {targetTypeLabel(event.target.type)}: {href ? <Link to={href}>{event.target.name ?? event.target.id}</Link> : (event.target.name ?? event.target.id ?? '—')}
                {event.target.id && !event.target.exists ? <span className="muted small"> (deleted)</span> : null}
              </>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div className="fact">
          <dt>IP</dt>
          <dd className="mono">{event.ip || '—'}</dd>
        </div>
      </dl>

      {changes.length ? (
        <>
          <h3>What changed</h3>
          <div className="table-wrap">
            <table className="table" data-testid="audit-changes">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {changes.map((c) => (
                  <tr key={c.field} data-testid="audit-change" data-field={c.field}>
                    <th scope="row">{c.field}</th>
                    <td className="mono" data-testid="audit-change-from">
                      {showValue(c.from)}
                    </td>
                    <td className="mono" data-testid="audit-change-to">
                      {showValue(c.to)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {unrecorded.length ? <p className="small muted">Also changed (values not recorded): {unrecorded.join(', ')}</p> : null}
      {facts.length ? (
        <>
          <h3>Recorded with it</h3>
          <dl className="audit-metadata">
            {facts.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd className="mono">{showValue(v)}</dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}
      <details className="audit-raw">
        <summary>Raw event</summary>
        <pre className="mono">{JSON.stringify(event, null, 2)}</pre>
      </details>
    </>
  );
}
