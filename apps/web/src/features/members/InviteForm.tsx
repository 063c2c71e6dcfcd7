import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { createInviteMutation, listInvitesQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateInviteDto } from '../../api/generated/types.gen.js';
import { zCreateInviteDto } from '../../api/generated/zod.gen.js';
import { useFormRules } from '../../lib/form-rules.js';
import { roleLabel } from '../../lib/format.js';
import { ROLES } from '../../lib/session.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

export interface NewInviteLink {
  email: string;
  url: string;
}

const ROLE_HELP: Record<CreateInviteDto['role'], string> = {
  owner: 'Everything, including granting the owner role.',
  admin: 'Manage the vault, budgets and members.',
  member: 'Use shared accounts, create operators, start runs.',
  viewer: 'Read-only.',
};

export function InviteForm({ onCreated }: { onCreated: (link: NewInviteLink) => void }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<CreateInviteDto['role']>('member');
  const requestCreate = createInviteMutation().mutationFn!;
  const create = useMutation({
    // The link holds the invite's secret token: hand it to the parent and keep it out of the mutation cache.
    mutationFn: async (...args: Parameters<typeof requestCreate>) => {
      const { url, ...invite } = await requestCreate(...args);
      onCreated({ email: invite.email, url });
      return invite;
    },
    onSuccess: async () => {
      setEmail('');
      setRole('member');
      await queryClient.invalidateQueries({ queryKey: listInvitesQueryKey() });
    },
  });

  const body: CreateInviteDto = { email: email.trim(), role };
  const rules = useFormRules(zCreateInviteDto, body);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (rules.attempt()) create.mutate({ body });
  }

  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <p className="card-description">You get a single-use link to send them. It expires after a few days.</p>
      <form className="form form-inline" onSubmit={submit} noValidate>
        <div className="field field-grow">
          <label htmlFor="invite-email">Email</label>
          <input
            id="invite-email"
            data-testid="invite-email"
            type="email"
            autoComplete="off"
            required
            maxLength={320}
            placeholder="colleague@example.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          {rules.errors.email ? <p className="field-error">{rules.errors.email}</p> : <FieldError error={create.error} field="email" />}
        </div>
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" data-testid="invite-role" value={role} onChange={(e) => setRole(e.target.value as CreateInviteDto['role'])} aria-describedby="invite-role-help">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleLabel(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" data-testid="invite-create" disabled={create.isPending || !email.trim()}>
            {create.isPending ? 'Creating…' : 'Create invite link'}
          </button>
        </div>
      </form>
      <p className="field-hint" id="invite-role-help">
        {roleLabel(role)}: {ROLE_HELP[role]}
      </p>
      <ProblemAlert error={create.error} />
    </section>
  );
}
