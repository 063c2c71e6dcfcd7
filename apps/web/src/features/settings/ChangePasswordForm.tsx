import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { changePasswordMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

const MIN_PASSWORD = 12;

export function ChangePasswordForm({ email }: { email: string }) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const change = useMutation({
    ...changePasswordMutation(),
    onSuccess: () => {
      setCurrentPassword('');
      setNewPassword('');
      setConfirm('');
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setLocalError(null);
    change.reset();
    if (newPassword.length < MIN_PASSWORD) return setLocalError(`The new password needs at least ${MIN_PASSWORD} characters.`);
    if (newPassword !== confirm) return setLocalError('The two new passwords do not match.');
    change.mutate({ body: { currentPassword, newPassword } });
  }

  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <p className="card-description">Signed in as {email}. Changing the password signs out your other sessions.</p>
      <form className="form form-narrow" onSubmit={submit} noValidate>
        {/* Lets password managers tie the new password to the right account. */}
        <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input
            id="current-password"
            data-testid="password-current"
            type="password"
            autoComplete="current-password"
            required
            value={currentPassword}
            onChange={(e) => setCurrentPassword(e.target.value)}
          />
          <FieldError error={change.error} field="currentPassword" />
        </div>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input
            id="new-password"
            data-testid="password-new"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD}
            value={newPassword}
            onChange={(e) => setNewPassword(e.target.value)}
            aria-describedby="new-password-hint"
          />
          <p className="field-hint" id="new-password-hint">
            At least {MIN_PASSWORD} characters.
          </p>
          <FieldError error={change.error} field="newPassword" />
        </div>
        <div className="field">
          <label htmlFor="confirm-password">Repeat the new password</label>
          <input
            id="confirm-password"
            data-testid="password-confirm"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </div>
        {localError ? (
          <p className="alert alert-error" role="alert">
            {localError}
          </p>
        ) : null}
        <ProblemAlert error={change.error} />
        {change.isSuccess ? (
          <p className="alert alert-success" role="status" data-testid="password-changed">
            Password changed. Your other sessions have been signed out.
          </p>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="password-submit" disabled={change.isPending || !currentPassword || !newPassword}>
            {change.isPending ? 'Saving…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
