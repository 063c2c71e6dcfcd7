import { type FormEvent, type ReactNode, useState } from 'react';
import { FieldError, ProblemAlert } from '../../lib/ui.js';

interface NameFormProps {
  /** Prefix of the element ids; also the input's test id. */
  id: string;
  heading: string;
  description?: ReactNode;
  /** The saved name to edit ('' when there is none yet). */
  currentName: string;
  /** Empty the field after a success (for a form that creates something new each time). */
  clearOnSuccess?: boolean;
  placeholder?: string;
  autoComplete?: string;
  submit: { label: string; pendingLabel: string; testId: string };
  /** The mutation behind the form: its state, and how to send the trimmed name. */
  saving: { isPending: boolean; isSuccess: boolean; error: unknown };
  onSave: (name: string) => Promise<unknown>;
  /** Shown after a success, until the next submit. */
  success: ReactNode;
  successTestId?: string;
}

/** One card with one name field and a button: renaming the workspace, your own name, a new workspace. */
export function NameForm({ id, heading, description, currentName, clearOnSuccess, placeholder, autoComplete, submit, saving, onSave, success, successTestId }: NameFormProps) {
  const [name, setName] = useState(currentName);
  const trimmed = name.trim();

  function send(event: FormEvent) {
    event.preventDefault();
    onSave(trimmed).then(
      () => {
        if (clearOnSuccess) setName('');
      },
      () => undefined, // shown through `saving.error`
    );
  }

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{heading}</h2>
      {description ? <p className="card-description">{description}</p> : null}
      <form className="form form-inline" onSubmit={send} noValidate>
        <div className="field field-grow">
          <label htmlFor={id}>Name</label>
          <input id={id} data-testid={id} required maxLength={100} placeholder={placeholder} autoComplete={autoComplete} value={name} onChange={(e) => setName(e.target.value)} />
          <FieldError error={saving.error} field="name" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" data-testid={submit.testId} disabled={saving.isPending || !trimmed || trimmed === currentName}>
            {saving.isPending ? submit.pendingLabel : submit.label}
          </button>
        </div>
      </form>
      {saving.isSuccess ? (
        <p className="alert alert-success" role="status" data-testid={successTestId}>
          {success}
        </p>
      ) : null}
      <ProblemAlert error={saving.error} />
    </section>
  );
}
