import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { loginMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { rememberSession, safeNextPath } from '../../lib/session.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';
import { AuthLayout } from './AuthLayout.js';

export function LoginPage() {
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    ...loginMutation(),
    onSuccess: async (me) => {
      rememberSession(me);
      setPassword('');
      await navigate(safeNextPath(searchParams.get('next')), { replace: true });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate({ body: { email: email.trim(), password } });
  }

  return (
    <AuthLayout title="Sign in to Vaultrun" subtitle="Use the email and password of your Vaultrun account.">
      <form className="form" onSubmit={submit} noValidate>
        <ProblemAlert error={login.error} />
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input
            id="login-email"
            data-testid="login-email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-describedby="login-email-error"
          />
          <FieldError error={login.error} field="email" id="login-email-error" />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            data-testid="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="login-password-error"
          />
          <FieldError error={login.error} field="password" id="login-password-error" />
        </div>
        <button type="submit" className="btn btn-primary btn-block" data-testid="login-submit" disabled={login.isPending || !email || !password}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth-footnote">No account yet? Ask a workspace owner or admin for an invite link.</p>
    </AuthLayout>
  );
}
