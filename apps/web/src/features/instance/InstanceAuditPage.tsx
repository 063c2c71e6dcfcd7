import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { listInstanceAuditOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { AuditEventDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable } from '../../lib/DataTable.js';
import { formatDateTime } from '../../lib/format.js';
import { PageHeader } from '../../lib/ui.js';

/** The instance audit log (instance administrators only): admin grants and revokes, suspensions and resumptions. */
export function InstanceAuditPage() {
  const events = useQuery(listInstanceAuditOptions({ query: { limit: 100 } }));
  const columns: Column<AuditEventDto>[] = [
    { key: 'when', header: 'When', cell: (e) => formatDateTime(e.createdAt) },
    { key: 'action', header: 'Action', primary: true, cell: (e) => <code className="mono">{e.action}</code> },
    { key: 'actor', header: 'Who', cell: (e) => e.actor.label },
    { key: 'target', header: 'Target', cell: (e) => e.target?.name ?? e.target?.id ?? '—' },
    { key: 'reason', header: 'Reason', cell: (e) => (typeof e.metadata.reason === 'string' ? e.metadata.reason : '—') },
  ];
  return (
    <>
      <PageHeader
        title="Instance audit log"
        description={
          <>
            What instance administrators did, newest first (the last 100 events). <Link to="/instance">Back to the workspaces</Link>
          </>
        }
      />
      <DataTable
        label="Instance audit events"
        columns={columns}
        rows={events.data?.items ?? []}
        rowKey={(e) => e.id}
        rowTestId="instance-audit-row"
        rowData={(e) => ({ action: e.action })}
        loading={events.isPending}
        error={events.error}
        empty="Nothing recorded yet."
      />
    </>
  );
}
