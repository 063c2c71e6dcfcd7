import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { acceptInviteMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { previewInvite } from '../../api/generated/sdk.gen.js';
import { formatDateTime, roleLabel } from '../../lib/format.js';
import { rememberSession } from '../../lib/session.js';
import { FieldError, Loading, ProblemAlert } from '../../lib/ui.js';
import { AuthLayout } from './AuthLayout.js';

const MIN_NEW_PASSWORD = 12;

/** The invite token travels in the URL fragment (never sent to a server, never in logs): `#token=…`. */
function tokenFromHash(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim() ?? '';
}

export function AcceptInvitePage() {
  const location = useLocation();
  const token = tokenFromHash(location.hash);

  if (!token) {
    return (
      <AuthLayout title="Accept an invite">
        <div className="alert alert-error" role="alert">
          This link has no invite token. Open the full link you were given, or ask for a new invite.
        </div>
        <p className="auth-footnote">
          Already have an account? <Link to="/login">Sign in</Link>
        </p>
      </AuthLayout>
    );
  }
  return <AcceptInviteForm token={token} />;
}

function AcceptInviteForm({ token }: { token: string }) {
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: ['previewInvite', token],
    queryFn: async ({ signal }) => (await previewInvite({ body: { token }, signal, throwOnError: true })).data,
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const accept = useMutation({
    ...acceptInviteMutation(),
    onSuccess: async (me) => {
      rememberSession(me);
      await navigate('/', { replace: true });
    },
  });

  if (preview.isPending) return <AuthLayout title="Accept an invite"><Loading label="Checking the invite…" /></AuthLayout>;
  if (preview.isError) {
    return (
      <AuthLayout title="This invite cannot be used">
        <ProblemAlert error={preview.error} />
        <p>Invite links work once and expire. Ask the person who invited you for a new link.</p>
        <p className="auth-footnote">
          Already a member? <Link to="/login">Sign in</Link>
        </p>
      </AuthLayout>
    );
  }

  const invite = preview.data;
  const isNewUser = !invite.existingUser;

  function submit(event: FormEvent) {
    event.preventDefault();
    setLocalError(null);
    if (isNewUser) {
      if (password.length < MIN_NEW_PASSWORD) return setLocalError(`Choose a password of at least ${MIN_NEW_PASSWORD} characters.`);
      if (password !== confirm) return setLocalError('The two passwords do not match.');
    }
    accept.mutate({ body: { token, password, ...(isNewUser && name.trim() ? { name: name.trim() } : {}) } });
  }

  return (
    <AuthLayout title={`Join ${invite.workspaceName}`} subtitle="You have been invited to a Vaultrun workspace.">
      <dl className="invite-summary" data-testid="invite-preview">
        <dt>Workspace</dt>
        <dd>{invite.workspaceName}</dd>
        <dt>Email</dt>
        <dd>{invite.email}</dd>
        <dt>Role</dt>
        <dd>{roleLabel(invite.role)}</dd>
        <dt>Link expires</dt>
        <dd>{formatDateTime(invite.expiresAt)}</dd>
      </dl>
      <form className="form" onSubmit={submit} noValidate>
        {localError ? (
          <div className="alert alert-error" role="alert">
            {localError}
          </div>
        ) : null}
        <ProblemAlert error={accept.error} />
        {isNewUser ? (
          <>
            <div className="field">
              <label htmlFor="invite-name">Your name</label>
              <input id="invite-name" data-testid="accept-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
              <FieldError error={accept.error} field="name" />
            </div>
            <div className="field">
              <label htmlFor="invite-password">Choose a password</label>
              <input
                id="invite-password"
                data-testid="accept-password"
                type="password"
                autoComplete="new-password"
                required
                minLength={MIN_NEW_PASSWORD}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                aria-describedby="invite-password-hint"
              />
              <p className="field-hint" id="invite-password-hint">
                At least {MIN_NEW_PASSWORD} characters. A passphrase of a few words works well.
              </p>
              <FieldError error={accept.error} field="password" />
            </div>
            <div className="field">
              <label htmlFor="invite-password-confirm">Repeat the password</label>
              <input
                id="invite-password-confirm"
                data-testid="accept-password-confirm"
                type="password"
                autoComplete="new-password"
                required
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            </div>
          </>
        ) : (
          <div className="field">
            <label htmlFor="invite-password">Your Vaultrun password</label>
            <input
              id="invite-password"
              data-testid="accept-password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby="invite-password-hint"
            />
            <p className="field-hint" id="invite-password-hint">
              {invite.email} already has a Vaultrun account: enter its password to join this workspace.
            </p>
            <FieldError error={accept.error} field="password" />
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" data-testid="accept-submit" disabled={accept.isPending || !password}>
          {accept.isPending ? 'Joining…' : `Join ${invite.workspaceName}`}
        </button>
      </form>
    </AuthLayout>
  );
}
