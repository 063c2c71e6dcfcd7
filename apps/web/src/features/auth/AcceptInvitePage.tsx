import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { acceptInviteMutation, joinWithInviteMutation, loginMutation, logoutMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { previewInvite } from '../../api/generated/sdk.gen.js';
import type { MeDto } from '../../api/generated/types.gen.js';
import { formatDateTime, roleLabel } from '../../lib/format.js';
import { ApiProblem } from '../../lib/problem.js';
import { forgetSession, mayHaveSession, meQueryOptions, rememberSession } from '../../lib/session.js';
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

type Mode = 'new' | 'sign-in';

function AcceptInviteForm({ token }: { token: string }) {
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: ['previewInvite', token],
    queryFn: async ({ signal }) => (await previewInvite({ body: { token }, signal, throwOnError: true })).data,
    retry: false,
    staleTime: Infinity,
    gcTime: 0,
  });
  // Who is signed in on this browser, if anyone: an existing account joins signed in, never with a password here.
  const [askForSession] = useState(mayHaveSession);
  const session = useQuery({ ...meQueryOptions({ authRedirect: false }), retry: false, enabled: askForSession });
  const joined = async (me: MeDto) => {
    rememberSession(me);
    await navigate('/', { replace: true });
  };
  const join = useMutation({ ...joinWithInviteMutation(), onSuccess: joined });
  const signOut = useMutation({ ...logoutMutation(), onSettled: () => forgetSession() });

  if (preview.isPending || (askForSession && session.isPending)) return <AuthLayout title="Accept an invite"><Loading label="Checking the invite…" /></AuthLayout>;
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
  const me = session.data;
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
      {me ? (
        me.user.email.toLowerCase() === invite.email.toLowerCase() ? (
          <div className="form">
            <ProblemAlert error={join.error} />
            <button type="button" className="btn btn-primary btn-block" data-testid="join-submit" disabled={join.isPending} onClick={() => join.mutate({ body: { token } })}>
              {join.isPending ? 'Joining…' : `Join ${invite.workspaceName} as ${me.user.email}`}
            </button>
          </div>
        ) : (
          <div className="form">
            <div className="alert alert-error" role="alert" data-testid="invite-other-account">
              This invite is for {invite.email}, and you are signed in as {me.user.email}. Sign out, then sign in as {invite.email} (or create its account) to join.
            </div>
            <button type="button" className="btn btn-secondary btn-block" data-testid="invite-sign-out" disabled={signOut.isPending} onClick={() => signOut.mutate({})}>
              Sign out
            </button>
          </div>
        )
      ) : (
        <SignedOutChoices token={token} email={invite.email} workspaceName={invite.workspaceName} onJoined={joined} />
      )}
    </AuthLayout>
  );
}

/**
 * Signed out, both ways are offered — the page does not know (and the API does not say) whether the email has an
 * account: create one, or sign in and join.
 */
function SignedOutChoices({ token, email, workspaceName, onJoined }: { token: string; email: string; workspaceName: string; onJoined: (me: MeDto) => Promise<void> }) {
  const [mode, setMode] = useState<Mode>('new');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const accept = useMutation({
    ...acceptInviteMutation(),
    onSuccess: onJoined,
    onError: (error) => {
      // The email has an account after all: sign in with it instead.
      if (error instanceof ApiProblem && error.code === 'invite_sign_in_required') setMode('sign-in');
    },
  });
  const join = useMutation({ ...joinWithInviteMutation(), onSuccess: onJoined });
  const signIn = useMutation({
    ...loginMutation(),
    onSuccess: (me) => {
      rememberSession(me);
      setPassword('');
      join.mutate({ body: { token } });
    },
  });
  const pending = accept.isPending || signIn.isPending || join.isPending;

  function submit(event: FormEvent) {
    event.preventDefault();
    setLocalError(null);
    if (mode === 'sign-in') return signIn.mutate({ body: { email, password } });
    if (password.length < MIN_NEW_PASSWORD) return setLocalError(`Choose a password of at least ${MIN_NEW_PASSWORD} characters.`);
    if (password !== confirm) return setLocalError('The two passwords do not match.');
    accept.mutate({ body: { token, password, ...(name.trim() ? { name: name.trim() } : {}) } });
  }

  function switchTo(next: Mode) {
    setMode(next);
    setPassword('');
    setConfirm('');
    setLocalError(null);
    accept.reset();
    signIn.reset();
  }

  return (
    <form className="form" onSubmit={submit} noValidate>
      <div className="toggle-chips" role="tablist" aria-label="How to join">
        <button type="button" role="tab" aria-selected={mode === 'new'} className={`toggle-chip${mode === 'new' ? ' toggle-chip-on' : ''}`} data-testid="invite-mode-new" onClick={() => switchTo('new')}>
          I am new to Vaultrun
        </button>
        <button type="button" role="tab" aria-selected={mode === 'sign-in'} className={`toggle-chip${mode === 'sign-in' ? ' toggle-chip-on' : ''}`} data-testid="invite-mode-sign-in" onClick={() => switchTo('sign-in')}>
          I have an account
        </button>
      </div>
      {localError ? (
        <div className="alert alert-error" role="alert">
          {localError}
        </div>
      ) : null}
      <ProblemAlert error={mode === 'new' ? accept.error : (signIn.error ?? join.error)} />
      {mode === 'new' ? (
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
          <label htmlFor="invite-signin-password">Password of {email}</label>
          <input
            id="invite-signin-password"
            data-testid="invite-signin-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="invite-signin-hint"
          />
          <p className="field-hint" id="invite-signin-hint">
            Sign in to your Vaultrun account; you then join {workspaceName} with it.
          </p>
        </div>
      )}
      <button type="submit" className="btn btn-primary btn-block" data-testid="accept-submit" disabled={pending || !password}>
        {pending ? 'Joining…' : mode === 'new' ? `Create account and join ${workspaceName}` : `Sign in and join ${workspaceName}`}
      </button>
    </form>
  );
}
