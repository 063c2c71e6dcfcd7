import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { listAuditEventsInfiniteOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { AuditEventDto, ListAuditEventsData } from '../../api/generated/types.gen.js';
import { formatDateTime } from '../../lib/format.js';
import { Badge, EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';

type Outcome = NonNullable<NonNullable<ListAuditEventsData['query']>['outcome']>;
const PAGE_SIZE = 50;

export function AuditPage() {
  const [actionInput, setActionInput] = useState('');
  const [filters, setFilters] = useState<{ action: string; outcome: Outcome | '' }>({ action: '', outcome: '' });

  const query: NonNullable<ListAuditEventsData['query']> = { limit: PAGE_SIZE };
  if (filters.action) query.action = filters.action;
  if (filters.outcome) query.outcome = filters.outcome;

  const events = useInfiniteQuery({
    ...listAuditEventsInfiniteOptions({ query }),
    // The first page has no cursor; each next page asks for the previous page's nextCursor.
    initialPageParam: {},
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

  function applyAction(event: FormEvent) {
    event.preventDefault();
    setFilters((f) => ({ ...f, action: actionInput.trim() }));
  }

  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title="Audit log" description="An append-only record of every change to the vault, budgets, members and tokens, newest first. It never holds secret material." />
      <section className="card">
        <form className="form form-inline filters" onSubmit={applyAction} role="search" aria-label="Filter the audit log">
          <div className="field field-grow">
            <label htmlFor="audit-action">Action starts with</label>
            <input id="audit-action" data-testid="audit-filter-action" placeholder="e.g. member. or token.create" value={actionInput} onChange={(e) => setActionInput(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="audit-outcome">Outcome</label>
            <select
              id="audit-outcome"
              data-testid="audit-filter-outcome"
              value={filters.outcome}
              onChange={(e) => setFilters((f) => ({ ...f, outcome: e.target.value as Outcome | '' }))}
            >
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
            </select>
          </div>
          <div className="field field-button">
            <button type="submit" className="btn btn-secondary" data-testid="audit-filter-apply">
              Apply
            </button>
          </div>
          {filters.action || filters.outcome ? (
            <div className="field field-button">
              <button
                type="button"
                className="btn btn-ghost"
                onClick={() => {
                  setActionInput('');
                  setFilters({ action: '', outcome: '' });
                }}
              >
                Clear filters
              </button>
            </div>
          ) : null}
        </form>

        {events.isPending ? (
          <Loading />
        ) : events.isError && items.length === 0 ? (
          <ProblemAlert error={events.error} />
        ) : items.length === 0 ? (
          <EmptyState>No events match.</EmptyState>
        ) : (
          <>
            <AuditTable items={items} />
            {events.isFetchNextPageError ? <ProblemAlert error={events.error} /> : null}
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
          </>
        )}
      </section>
    </>
  );
}

function targetText(target: AuditEventDto['target']): string {
  if (!target) return '—';
  return target.id ? `${target.type} ${target.id.slice(0, 8)}` : target.type;
}

function AuditTable({ items }: { items: AuditEventDto[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col">IP</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td className="nowrap">{formatDateTime(e.createdAt)}</td>
              <td>
                <span className="cell-strong">{e.actor.label}</span>
                {e.actor.type !== 'user' ? <span className="muted small"> ({e.actor.type})</span> : null}
              </td>
              <td>
                <code className="mono" data-testid="audit-action">
                  {e.action}
                </code>
              </td>
              <td title={e.target?.id ?? undefined}>
                <span className="mono small">{targetText(e.target)}</span>
              </td>
              <td>
                <Badge tone={e.outcome === 'success' ? 'green' : 'red'} testId="audit-outcome">
                  {e.outcome}
                </Badge>
              </td>
              <td className="mono small">{e.ip || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
