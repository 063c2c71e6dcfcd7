import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { getWorkspaceOptions, listOperatorsOptions, listProviderAccountsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ProviderAccountDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { useCan } from '../../lib/session.js';
import { EmptyState, Loading, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { OperatorCard } from './OperatorCard.js';
import { OperatorForm } from './OperatorForm.js';

export function OperatorsPage() {
  const canManage = useCan('operators:manage');
  const canRun = useCan('runs:create');
  const canSeeAccounts = useCan('vault:read');
  const operators = useQuery(listOperatorsOptions());
  const accounts = useQuery({ ...listProviderAccountsOptions(), enabled: canSeeAccounts });
  const workspace = useQuery(getWorkspaceOptions());
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const accountList = accounts.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="Operators"
        description="Reusable agents: instructions, a provider account and model, and the output they must produce. Run one to queue the work on your own key."
        actions={
          canManage && !creating ? (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="operator-new"
              onClick={() => {
                setNotice(null);
                setCreating(true);
              }}
            >
              New operator
            </button>
          ) : null
        }
      />

      <WorkspaceDefaults workspace={workspace.data} accounts={accountList} />

      {notice ? (
        <div className="alert alert-success alert-dismissible" role="status">
          <span>{notice}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      ) : null}

      {creating ? (
        <section className="card add-flow" aria-labelledby="operator-new-heading" data-testid="operator-new-panel">
          <div className="add-flow-header">
            <h2 id="operator-new-heading">New operator</h2>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
          <OperatorForm
            operator={null}
            accounts={accountList}
            workspace={workspace.data}
            onSaved={(saved) => {
              setCreating(false);
              setNotice(`Operator “${saved.name}” created.${canRun ? ' Use Run to start it.' : ''}`);
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      <section aria-labelledby="operators-heading">
        <div className="section-heading">
          <h2 id="operators-heading">Operators</h2>
          {operators.data ? <span className="muted small">{operators.data.items.length} in this workspace</span> : null}
        </div>
        {operators.isPending ? (
          <Loading />
        ) : operators.isError ? (
          <ProblemAlert error={operators.error} />
        ) : operators.data.items.length === 0 ? (
          <div className="card">
            <EmptyState>{canManage ? 'No operators yet. Create one: give it instructions, and run it on your provider account.' : 'No operators in this workspace yet.'}</EmptyState>
          </div>
        ) : (
          <div className="operator-list">
            {operators.data.items.map((operator) => (
              <OperatorCard key={operator.id} operator={operator} accounts={accountList} workspace={workspace.data} canManage={canManage} canRun={canRun} />
            ))}
          </div>
        )}
      </section>
    </>
  );
}

/** Where operators without an account or model of their own run (PATCH /workspace, Settings). */
function WorkspaceDefaults({ workspace, accounts }: { workspace: WorkspaceDto | undefined; accounts: ProviderAccountDto[] }) {
  const canManageWorkspace = useCan('workspace:manage');
  if (!workspace) return null;
  const account = accounts.find((a) => a.id === workspace.defaultAccountId);
  const accountText = workspace.defaultAccountId ? (account?.name ?? 'an account not shared with you') : null;
  const model = account?.defaultModel ?? workspace.defaultModel;
  return (
    <aside className="defaults-strip" data-testid="workspace-defaults" aria-label="Workspace defaults">
      <span className="defaults-label">Workspace default</span>
      {accountText ? (
        <span>
          Operators without an account of their own run on <strong>{accountText}</strong>
          {model ? (
            <>
              {' '}
              with <code className="mono">{model}</code>
            </>
          ) : null}
          .
        </span>
      ) : (
        <span>No default provider account: operators must name one.</span>
      )}
      {canManageWorkspace ? (
        <Link to="/settings#workspace-defaults" className="defaults-link">
          Change
        </Link>
      ) : null}
    </aside>
  );
}
