import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { deleteManagedAccountMutation, listManagedAccountsOptions, listManagedAccountsQueryKey, updateManagedAccountMutation, verifyManagedAccountMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { rotateManagedKey } from '../../api/generated/sdk.gen.js';
import type { ManagedAccountDto } from '../../api/generated/types.gen.js';
import { type Column, DataTable } from '../../lib/DataTable.js';
import { useRowFocus } from '../../lib/list-state.js';
import { Badge, ConfirmButton, FieldError, hasOnlyFieldErrors, PageHeader, ProblemAlert } from '../../lib/ui.js';
import { type AccountKind, KIND_LABELS, statusOfText } from '../vault/account-labels.js';
import { SecretKeyInput } from '../vault/SecretKeyInput.js';
import { useSecretRequest } from '../vault/vault-cache.js';
import { CREDITS_NAME } from '../credits/credit-labels.js';
import { InstanceSettingsCard } from './InstanceSettingsCard.js';
import { describeShare, LIMIT_ERROR_FIELDS, type Offer, OfferFields, ShareFields, shareInputOf, shareOf } from './ManagedAccountFields.js';
import { ManagedAccountForm } from './ManagedAccountForm.js';
import './instance.css';

const offerLabel = (a: ManagedAccountDto) => (a.offer === 'all' ? 'All workspaces' : `${a.workspaceIds.length} ${a.workspaceIds.length === 1 ? 'workspace' : 'workspaces'}`);

/**
 * Instance administrators only (docs/console.md, "Managed accounts"): the instance's own provider accounts, offered to
 * workspaces as connector accounts paid with Vaultrun credits; and the instance's credit settings.
 */
export function ManagedAccountsPage() {
  const accounts = useQuery(listManagedAccountsOptions());
  const focus = useRowFocus('managed');
  const [newId, setNewId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [rotating, setRotating] = useState<ManagedAccountDto | null>(null);
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: listManagedAccountsQueryKey() });
  const remove = useMutation({ ...deleteManagedAccountMutation(), onSettled: refresh });
  const verify = useMutation({
    ...verifyManagedAccountMutation(),
    onSuccess: (a) => setNotice(`“${a.name}” checked: ${statusOfText(a.status).label.toLowerCase()}, ${a.models.length} ${a.models.length === 1 ? 'model' : 'models'} listed.`),
    onSettled: refresh,
  });

  const columns: Column<ManagedAccountDto>[] = [
    {
      key: 'name',
      header: 'Account',
      primary: true,
      cell: (a) => (
        <span className="name-cell">
          <span className={`kind-mark kind-mark-${a.kind}`} aria-hidden="true" />
          <span>
            <span className="cell-strong">{a.name}</span>
            {a.id === newId ? <span className="new-badge">New</span> : null}
            <span className="cell-sub">
              {KIND_LABELS[a.kind as AccountKind] ?? a.kind}
              {a.defaultModel ? ` · ${a.defaultModel}` : ''}
            </span>
          </span>
        </span>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      cell: (a) => (
        <Badge tone={statusOfText(a.status).tone} testId="managed-row-status">
          {statusOfText(a.status).label}
        </Badge>
      ),
    },
    { key: 'key', header: 'Key', cell: (a) => (a.keyHint ? <code className="mono">{a.keyHint}</code> : <span className="muted">{a.kind === 'mock' ? 'None needed' : 'No key'}</span>) },
    { key: 'offer', header: 'Offered to', cell: (a) => <span data-testid="managed-row-offer">{offerLabel(a)}</span> },
    { key: 'share', header: 'Share per workspace', cell: (a) => <span className="small">{describeShare(a.share)}</span> },
    { key: 'limits', header: 'All workspaces together', cell: (a) => <span className="small">{describeShare(a.limits)}</span> },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      label: '',
      cell: (a) => (
        <span className="row-actions">
          <button type="button" className={`btn btn-small ${focus.openId === a.id ? 'btn-toggled' : 'btn-ghost'}`} aria-expanded={focus.openId === a.id} data-testid="managed-edit" onClick={() => focus.toggle(a.id)}>
            Edit
          </button>
          <button
            type="button"
            className="btn btn-ghost btn-small"
            data-testid="managed-verify"
            disabled={verify.isPending && verify.variables?.path.id === a.id}
            onClick={() => {
              setNotice(null);
              verify.mutate({ path: { id: a.id } });
            }}
          >
            {verify.isPending && verify.variables?.path.id === a.id ? 'Checking…' : 'Verify'}
          </button>
          {a.kind !== 'mock' ? (
            <button type="button" className="btn btn-ghost btn-small" data-testid="managed-rotate" onClick={() => setRotating(a)}>
              Rotate key
            </button>
          ) : null}
          <ConfirmButton
            label="Delete"
            title={`Delete “${a.name}”?`}
            message={
              <p>
                Every workspace it is offered to loses its connector account: their operators and routes on it stop working until they switch to their own key. Their
                credit balances stay. This cannot be undone.
              </p>
            }
            confirmLabel="Delete account"
            busy={remove.isPending && remove.variables?.path.id === a.id}
            onConfirm={() => remove.mutate({ path: { id: a.id } })}
            testId="managed-delete"
          />
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Managed accounts"
        description={
          <>
            The instance&apos;s own provider accounts. Offer one to workspaces and each gets a connector account it uses like its own, paid with {CREDITS_NAME} that you grant
            on the <Link to="/instance">Workspaces</Link> page. Workspaces never see the key.
          </>
        }
        actions={
          !adding ? (
            <button
              type="button"
              className="btn btn-primary"
              data-testid="managed-add"
              onClick={() => {
                setNotice(null);
                setAdding(true);
              }}
            >
              Add managed account
            </button>
          ) : null
        }
      />
      {notice ? (
        <div className="alert alert-success alert-dismissible" role="status" data-testid="managed-notice">
          <span>{notice}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
      {adding ? (
        <ManagedAccountForm
          onCancel={() => setAdding(false)}
          onCreated={(account) => {
            setAdding(false);
            setNewId(account.id);
            setNotice(`“${account.name}” added and offered to ${offerLabel(account).toLowerCase()}.`);
          }}
        />
      ) : null}
      <section className="card" aria-labelledby="managed-accounts-heading">
        <h2 id="managed-accounts-heading">Accounts</h2>
        <ProblemAlert error={remove.error} title="Could not delete the account:" />
        <ProblemAlert error={verify.error} title="Could not check the account:" />
        <DataTable
          label="Managed accounts"
          columns={columns}
          rows={accounts.data?.items ?? []}
          rowKey={(a) => a.id}
          rowTestId="managed-row"
          rowData={(a) => ({ 'account-id': a.id, name: a.name, status: a.status, offer: a.offer })}
          highlightId={newId}
          expandedId={focus.openId}
          renderExpanded={(a) => (
            <EditManagedAccount
              account={a}
              onDone={(message) => {
                focus.toggle(a.id);
                setNotice(message);
              }}
            />
          )}
          loading={accounts.isPending}
          error={accounts.error}
          empty="No managed account yet. Add one to let workspaces run on the instance's key, paid with credits."
        />
      </section>
      <InstanceSettingsCard />
      {rotating ? (
        <RotateManagedKeyDialog
          account={rotating}
          onClose={() => setRotating(null)}
          onRotated={(a) => {
            setNotice(`Key of “${a.name}” rotated: now ${a.keyHint ?? 'stored'}.`);
            void refresh();
          }}
        />
      ) : null}
    </>
  );
}

export default ManagedAccountsPage;

function EditManagedAccount({ account, onDone }: { account: ManagedAccountDto; onDone: (message: string) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [name, setName] = useState(account.name);
  const [offer, setOffer] = useState<{ offer: Offer; workspaceIds: string[] }>({ offer: account.offer, workspaceIds: account.workspaceIds });
  const [share, setShare] = useState(shareInputOf(account.share));
  const [total, setTotal] = useState(shareInputOf(account.limits));
  const update = useMutation({
    ...updateManagedAccountMutation(),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: listManagedAccountsQueryKey() });
      onDone(`“${saved.name}” saved: offered to ${offerLabel(saved).toLowerCase()}.`);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ path: { id: account.id }, body: { name: name.trim(), offer: offer.offer, workspaceIds: offer.offer === 'chosen' ? offer.workspaceIds : [], share: shareOf(share), limits: shareOf(total) } });
  }
  return (
    <form className="form managed-edit" onSubmit={submit} noValidate data-testid="managed-edit-form" aria-label={`Edit ${account.name}`}>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} data-testid="managed-edit-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <FieldError error={update.error} field="name" />
      </div>
      <OfferFields offer={offer.offer} workspaceIds={offer.workspaceIds} onChange={setOffer} error={update.error} />
      <ShareFields value={share} onChange={setShare} error={update.error} idPrefix={`${id}-share`} />
      <ShareFields field="limits" value={total} onChange={setTotal} error={update.error} idPrefix={`${id}-total`} />
      {update.error && !hasOnlyFieldErrors(update.error, ['name', 'offer', 'workspaceIds', ...LIMIT_ERROR_FIELDS]) ? (
        <ProblemAlert error={update.error} title="Could not save:" />
      ) : null}
      <p className="field-hint">A workspace taken off the offer loses its connector account; its credit balance stays.</p>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="managed-edit-save" disabled={update.isPending || !name.trim()}>
          {update.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

/** The instance's key replaced in place: the pasted key lives only in the password input and is wiped on close. */
function RotateManagedKeyDialog({ account, onClose, onRotated }: { account: ManagedAccountDto; onClose: () => void; onRotated: (account: ManagedAccountDto) => void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const keyRef = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const [hasKey, setHasKey] = useState(false);
  const request = useSecretRequest();

  useEffect(() => {
    const dialog = dialogRef.current;
    dialog?.showModal();
    return () => dialog?.close();
  }, []);

  function close() {
    if (keyRef.current) keyRef.current.value = '';
    dialogRef.current?.close();
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = keyRef.current;
    if (!input || !input.value.trim()) return;
    const result = await request.run(async () => (await rotateManagedKey({ path: { id: account.id }, body: { apiKey: input.value }, throwOnError: true })).data);
    input.value = '';
    setHasKey(false);
    if (!result.ok) return;
    onRotated(result.data);
    close();
  }

  return (
    <dialog ref={dialogRef} className="dialog" aria-labelledby={headingId} onCancel={close} data-testid="managed-rotate-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={headingId}>Rotate the key of “{account.name}”</h2>
        <div className="dialog-body">
          <p>Paste the new key. Every workspace's connector account uses it from the next run on; workspaces notice nothing.</p>
          {account.keyHint ? (
            <p className="muted small">
              Current key: <code className="mono">{account.keyHint}</code>
            </p>
          ) : null}
          <div className="field">
            <label htmlFor={`${headingId}-key`}>New API key</label>
            <SecretKeyInput
              id={`${headingId}-key`}
              inputRef={keyRef}
              testId="managed-rotate-key"
              onPresenceChange={(present) => {
                setHasKey(present);
                request.reset();
              }}
            />
            <FieldError error={request.error} field="apiKey" />
          </div>
          {request.error && !request.error.fieldError('apiKey') ? <ProblemAlert error={request.error} /> : null}
        </div>
        <div className="dialog-actions">
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="managed-rotate-submit" disabled={!hasKey || request.pending}>
            {request.pending ? 'Rotating…' : 'Rotate key'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
