import { Fragment, type ReactNode, useEffect, useId, useRef } from 'react';
import type { SortState } from './list-state.js';
import { EmptyState, Loading, ProblemAlert } from './ui.js';
import './data-table.css';

export interface Column<T> {
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** The key the list sorts by (the API's `sort` value); without it the column does not sort. */
  sortKey?: string;
  /** In the stacked (phone) layout each cell is labelled; defaults to the header when that is text. */
  label?: string;
  align?: 'right';
  /** The cell that names the row: a heading in the stacked layout. */
  primary?: boolean;
}

export interface Pagination {
  page: number;
  pageSize: number;
  total: number;
  onPage(page: number): void;
}

/**
 * The console's one list table (accounts, operators, tokens, members, budgets): sortable headers, a row that opens
 * its details in place, a highlighted (and, when not on this page, pinned) row for what was just created, pages, and
 * below 720 px stacked rows instead of a table wider than the phone.
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowTestId,
  rowData,
  sort,
  onSort,
  highlightId,
  pinned = [],
  expandedId,
  renderExpanded,
  empty,
  loading,
  error,
  pagination,
  toolbar,
  summary,
  rowClassName,
}: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  rowTestId?: string;
  /** data-* attributes of a row (ids, names, statuses), for tests and styling. */
  rowData?: (row: T) => Record<string, string>;
  sort?: SortState;
  onSort?: (sort: SortState) => void;
  highlightId?: string | null;
  /** Rows to show above the page (a new item that sorts onto another page). */
  pinned?: T[];
  expandedId?: string | null;
  renderExpanded?: (row: T) => ReactNode;
  empty: ReactNode;
  loading?: boolean;
  error?: unknown;
  pagination?: Pagination;
  toolbar?: ReactNode;
  /** A line above the table: "12 accounts", "3 of 40 match". */
  summary?: ReactNode;
  rowClassName?: (row: T) => string | undefined;
}) {
  const captionId = useId();
  const highlighted = useRef<HTMLTableRowElement>(null);
  const pinnedKeys = new Set(pinned.map(rowKey));
  const all = [...pinned, ...rows.filter((r) => !pinnedKeys.has(rowKey(r)))];

  useEffect(() => {
    if (!highlightId) return;
    highlighted.current?.scrollIntoView({ block: 'center' });
  }, [highlightId, all.length]);

  const body = loading ? (
    <Loading />
  ) : error && !all.length ? (
    <ProblemAlert error={error} />
  ) : all.length === 0 ? (
    <EmptyState>{empty}</EmptyState>
  ) : (
    <div className="table-wrap data-table-wrap" tabIndex={0} role="region" aria-labelledby={captionId}>
      <table className="table data-table">
        <caption id={captionId} className="visually-hidden">
          {label}
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.align === 'right' ? 'num' : undefined}
                aria-sort={sort && c.sortKey && sort.key === c.sortKey ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {c.sortKey && sort && onSort ? (
                  <button
                    type="button"
                    className="sort-button"
                    data-testid={`sort-${c.sortKey}`}
                    onClick={() => onSort({ key: c.sortKey!, direction: sort.key === c.sortKey && sort.direction === 'asc' ? 'desc' : 'asc' })}
                  >
                    {c.header}
                    <span className="sort-mark" aria-hidden="true">
                      {sort.key === c.sortKey ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}
                    </span>
                  </button>
                ) : (
                  c.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {all.map((row) => {
            const key = rowKey(row);
            const isHighlighted = key === highlightId;
            const isExpanded = key === expandedId && !!renderExpanded;
            const classes = [rowClassName?.(row), isHighlighted ? 'row-highlight' : undefined, isExpanded ? 'row-open' : undefined].filter(Boolean).join(' ');
            return (
              <Fragment key={key}>
                <tr className={classes || undefined} data-testid={rowTestId} data-highlighted={isHighlighted || undefined} ref={isHighlighted ? highlighted : undefined} {...dataAttributes(rowData?.(row))}>
                  {columns.map((c) => (
                    <td key={c.key} className={[c.align === 'right' ? 'num' : '', c.primary ? 'cell-primary' : ''].join(' ').trim() || undefined} data-label={c.label ?? (typeof c.header === 'string' ? c.header : '')}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
                {isExpanded ? (
                  <tr className="row-detail">
                    <td colSpan={columns.length}>{renderExpanded!(row)}</td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );

  return (
    <div className="data-table-block">
      {toolbar ? <div className="list-toolbar">{toolbar}</div> : null}
      {summary ? <p className="list-summary muted small">{summary}</p> : null}
      {body}
      {error && all.length ? <ProblemAlert error={error} /> : null}
      {pagination && pagination.total > pagination.pageSize ? <Pager {...pagination} /> : null}
    </div>
  );
}

function dataAttributes(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [`data-${k}`, v]));
}

function Pager({ page, pageSize, total, onPage }: Pagination) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted small" data-testid="pager-status">
        {first}–{last} of {total} · page {page} of {pages}
      </span>
      <span className="pager-buttons">
        <button type="button" className="btn btn-secondary btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)} data-testid="pager-prev">
          Previous
        </button>
        <button type="button" className="btn btn-secondary btn-small" disabled={page >= pages} onClick={() => onPage(page + 1)} data-testid="pager-next">
          Next
        </button>
      </span>
    </nav>
  );
}

/** The search box and filter selects above a list. */
export function SearchBox({ value, onChange, label, testId }: { value: string; onChange: (value: string) => void; label: string; testId: string }) {
  const id = useId();
  return (
    <div className="list-search">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input id={id} type="search" placeholder={label} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} autoComplete="off" />
    </div>
  );
}

export function FilterSelect({
  label,
  value,
  onChange,
  options,
  testId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  testId: string;
}) {
  const id = useId();
  return (
    <div className="list-filter">
      <label htmlFor={id} className="filter-label">
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The button that opens and closes a row's details. */
export function RowToggle({ open, onToggle, name, testId }: { open: boolean; onToggle: () => void; name: string; testId: string }) {
  return (
    <button type="button" className="btn btn-ghost btn-small row-toggle" aria-expanded={open} onClick={onToggle} data-testid={testId}>
      {open ? 'Close' : 'Details'}
      <span className="visually-hidden"> of {name}</span>
    </button>
  );
}
