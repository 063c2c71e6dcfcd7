import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { listMembersOptions, listTokensOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { roleLabel } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Loading, ProblemAlert } from '../../lib/ui.js';

export interface Sharing {
  visibility: ProviderAccountDto['visibility'];
  userIds: string[];
  tokenIds: string[];
}

export function sharingOf(account: ProviderAccountDto): Sharing {
  return { visibility: account.visibility, userIds: account.access.userIds, tokenIds: account.access.tokenIds };
}

/** Workspace-wide or restricted, and for restricted: which members and API tokens may use the account. */
export function SharingFields({ value, onChange, disabled }: { value: Sharing; onChange: (next: Sharing) => void; disabled?: boolean }) {
  const name = useId();
  const toggle = (list: 'userIds' | 'tokenIds', id: string, on: boolean) =>
    onChange({ ...value, [list]: on ? [...value[list], id] : value[list].filter((x) => x !== id) });
  return (
    <fieldset className="field fieldset" disabled={disabled}>
      <legend>Who may use this account</legend>
      <div className="check-cards">
        <label className="check check-card">
          <input type="radio" name={name} data-testid="vault-visibility-workspace" checked={value.visibility === 'workspace'} onChange={() => onChange({ ...value, visibility: 'workspace' })} />
          <span>
            <span className="check-title">Everyone in the workspace</span>
            <span className="check-help">Every member, and every API token with the run scope.</span>
          </span>
        </label>
        <label className="check check-card">
          <input type="radio" name={name} data-testid="vault-visibility-restricted" checked={value.visibility === 'restricted'} onChange={() => onChange({ ...value, visibility: 'restricted' })} />
          <span>
            <span className="check-title">Restricted</span>
            <span className="check-help">Only the members and API tokens you pick. Owners and admins can always use it.</span>
          </span>
        </label>
      </div>
      {value.visibility === 'restricted' ? <PrincipalPicker value={value} toggle={toggle} /> : null}
      {value.visibility === 'workspace' || value.tokenIds.length > 0 ? (
        <p className="callout callout-billing">
          {value.visibility === 'workspace'
            ? 'Any API token with the run scope can use this account: every request made with it — for a published app, every visitor’s request — is billed to this account.'
            : `Every request made with the ${value.tokenIds.length === 1 ? 'selected API token' : `${value.tokenIds.length} selected API tokens`} — for a published app, every visitor’s request — is billed to this account.`}
        </p>
      ) : null}
    </fieldset>
  );
}

function PrincipalPicker({ value, toggle }: { value: Sharing; toggle: (list: 'userIds' | 'tokenIds', id: string, on: boolean) => void }) {
  const canSeeMembers = useCan('members:read');
  const canSeeTokens = useCan('tokens:read');
  const members = useQuery({ ...listMembersOptions(), enabled: canSeeMembers });
  const tokens = useQuery({ ...listTokensOptions(), enabled: canSeeTokens });
  // Owners and admins manage the vault and see every account: picking them changes nothing.
  const pickableMembers = members.data?.items.filter((m) => m.role === 'member' || m.role === 'viewer') ?? [];
  const activeTokens = tokens.data?.items.filter((t) => t.status === 'active') ?? [];
  return (
    <div className="picker-columns">
      <div className="picker">
        <p className="picker-heading">Members</p>
        {!canSeeMembers ? (
          <p className="muted small">You cannot list members.</p>
        ) : members.isPending ? (
          <Loading />
        ) : members.isError ? (
          <ProblemAlert error={members.error} />
        ) : pickableMembers.length === 0 ? (
          <p className="muted small">No members or viewers in this workspace yet.</p>
        ) : (
          <ul className="picker-list">
            {pickableMembers.map((m) => (
              <li key={m.userId}>
                <label className="check">
                  <input type="checkbox" data-testid="vault-share-member" data-user-id={m.userId} checked={value.userIds.includes(m.userId)} onChange={(e) => toggle('userIds', m.userId, e.target.checked)} />
                  <span>
                    {m.email} <span className="muted small">· {roleLabel(m.role)}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="picker">
        <p className="picker-heading">API tokens</p>
        {!canSeeTokens ? (
          <p className="muted small">You cannot list API tokens.</p>
        ) : tokens.isPending ? (
          <Loading />
        ) : tokens.isError ? (
          <ProblemAlert error={tokens.error} />
        ) : activeTokens.length === 0 ? (
          <p className="muted small">No active API tokens.</p>
        ) : (
          <ul className="picker-list">
            {activeTokens.map((t) => (
              <li key={t.id}>
                <label className="check">
                  <input type="checkbox" data-testid="vault-share-token" data-token-id={t.id} checked={value.tokenIds.includes(t.id)} onChange={(e) => toggle('tokenIds', t.id, e.target.checked)} />
                  <span>
                    {t.name} <code className="mono muted">{t.prefix}…</code>
                    {t.scopes.includes('run') || t.scopes.includes('admin') ? null : <span className="muted small"> · read only: cannot start runs</span>}
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
