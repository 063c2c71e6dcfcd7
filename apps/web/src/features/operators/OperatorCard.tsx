import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { deleteOperatorMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { OperatorDto, ProviderAccountDto, WorkspaceDto } from '../../api/generated/types.gen.js';
import { formatCount } from '../../lib/format.js';
import { formatUsd } from '../../lib/money.js';
import { Fact, Badge, ConfirmButton, ProblemAlert } from '../../lib/ui.js';
import { paidWithLabel } from '../credits/credit-labels.js';
import { StartRunForm } from '../runs/StartRunForm.js';
import { useOperatorCache } from './operator-cache.js';
import { OperatorForm } from './OperatorForm.js';

type Panel = 'run' | 'edit';


export function OperatorCard({
  operator,
  accounts,
  workspace,
  canManage,
  canRun,
}: {
  operator: OperatorDto;
  accounts: ProviderAccountDto[];
  workspace: WorkspaceDto | undefined;
  canManage: boolean;
  canRun: boolean;
}) {
  const cache = useOperatorCache();
  const [panel, setPanel] = useState<Panel | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation({ ...deleteOperatorMutation(), onSuccess: () => cache.remove(operator.id) });

  const ownAccount = operator.accountId ? accounts.find((a) => a.id === operator.accountId) : undefined;
  const defaultAccount = accounts.find((a) => a.id === workspace?.defaultAccountId);
  const account = operator.accountId ? ownAccount : defaultAccount;
  const inheritedModel = account?.defaultModel ?? workspace?.defaultModel ?? null;
  const isJson = operator.outputFormat === 'json_schema';

  const toggle = (next: Panel) => {
    setNotice(null);
    setPanel((current) => (current === next ? null : next));
  };

  return (
    <article className="operator-card" data-testid="operator-row" data-operator-id={operator.id} aria-labelledby={`operator-${operator.id}`}>
      <header className="operator-head">
        <span className={`format-mark format-mark-${operator.outputFormat}`} aria-hidden="true" />
        <div className="operator-title">
          <h3 id={`operator-${operator.id}`}>{operator.name}</h3>
          {operator.description ? <p className="operator-description">{operator.description}</p> : null}
        </div>
        <Badge tone={isJson ? 'blue' : 'grey'} testId="operator-format">
          {isJson ? 'JSON schema' : 'Text'}
        </Badge>
      </header>

      <dl className="facts operator-facts">
        <Fact label="Account">
          {operator.accountId ? (
            <span data-testid="operator-account-name">{ownAccount?.name ?? 'An account not shared with you'}</span>
          ) : (
            <span data-testid="operator-account-name" className="inherited">
              Workspace default{defaultAccount ? `: ${defaultAccount.name}` : ' (not set)'}
            </span>
          )}
        </Fact>
        {account ? (
          <Fact label="Paid with">
            <span data-testid="operator-paid-with" data-paid-with={account.managed ? 'credits' : 'own_key'}>
              {paidWithLabel(account.managed ? 'credits' : 'own_key', account.name)}
            </span>
          </Fact>
        ) : null}
        <Fact label="Model">
          {operator.model ? (
            <code className="mono">{operator.model}</code>
          ) : (
            <span className="inherited">
              Account default{inheritedModel ? ': ' : ''}
              {inheritedModel ? <code className="mono">{inheritedModel}</code> : null}
            </span>
          )}
        </Fact>
        <Fact label="Temperature">{operator.temperature === null ? <span className="inherited">Provider default</span> : operator.temperature}</Fact>
        <Fact label="Max output">{formatCount(operator.maxOutputTokens)} tokens</Fact>
        <Fact label="Cost cap per run">{operator.costCapMicroUsd !== null ? formatUsd(operator.costCapMicroUsd) : <span className="inherited">None</span>}</Fact>
      </dl>

      {operator.instructions ? (
        <details className="instructions-preview">
          <summary>Instructions</summary>
          <pre className="io-text">{operator.instructions}</pre>
          {isJson && operator.outputSchema ? (
            <>
              <p className="subheading">Output schema</p>
              <pre className="io-text io-json">{JSON.stringify(operator.outputSchema, null, 2)}</pre>
            </>
          ) : null}
        </details>
      ) : null}

      {notice ? (
        <div className="alert alert-success" role="status">
          {notice}
        </div>
      ) : null}
      <ProblemAlert error={remove.error} />

      <div className="operator-actions">
        <div className="account-actions-main">
          {canRun ? (
            <button type="button" className={`btn btn-small ${panel === 'run' ? 'btn-toggled' : 'btn-primary'}`} aria-expanded={panel === 'run'} data-testid="operator-run" onClick={() => toggle('run')}>
              <span className="play" aria-hidden="true" />
              Run
            </button>
          ) : null}
          {canManage ? (
            <button type="button" className={`btn btn-small ${panel === 'edit' ? 'btn-toggled' : 'btn-ghost'}`} aria-expanded={panel === 'edit'} data-testid="operator-edit" onClick={() => toggle('edit')}>
              Edit
            </button>
          ) : null}
          <Link className="btn btn-ghost btn-small" to={`/runs?operator=${operator.id}`} data-testid="operator-runs">
            Runs
          </Link>
        </div>
        {canManage ? (
          <div className="account-actions-side">
            <ConfirmButton
              label="Delete"
              title={`Delete “${operator.name}”?`}
              message={<p>The operator “{operator.name}” is deleted. Its past runs stay in the Runs list with their inputs and outputs. This cannot be undone.</p>}
              confirmLabel="Delete operator"
              busy={remove.isPending}
              onConfirm={() => remove.mutate({ path: { operatorId: operator.id } })}
              testId="operator-delete"
            />
          </div>
        ) : null}
      </div>

      {panel === 'run' ? <StartRunForm operator={operator} accounts={accounts} workspace={workspace} onCancel={() => setPanel(null)} /> : null}
      {panel === 'edit' ? (
        <div className="panel">
          <OperatorForm
            operator={operator}
            accounts={accounts}
            workspace={workspace}
            onSaved={() => {
              setPanel(null);
              setNotice('Changes saved. Runs started from now on use them.');
            }}
            onCancel={() => setPanel(null)}
          />
        </div>
      ) : null}
    </article>
  );
}
