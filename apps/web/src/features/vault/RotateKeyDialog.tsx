import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { rotateProviderKey } from '../../api/generated/sdk.gen.js';
import type { ProviderAccountDto } from '../../api/generated/types.gen.js';
import { FieldError } from '../../lib/ui.js';
import { ProviderErrorCallout } from './ProviderErrorCallout.js';
import { KIND_GUIDES } from './account-labels.js';
import { SecretKeyInput } from './SecretKeyInput.js';
import { useSecretRequest, useVaultCache } from './vault-cache.js';

/** Where each provider's keys are revoked, for the sentence after a rotation. */
const REVOKE_AT: Partial<Record<ProviderAccountDto['kind'], string>> = {
  openai: 'platform.openai.com/api-keys',
  anthropic: 'console.anthropic.com › API keys',
  gemini: 'aistudio.google.com › API keys',
  'azure-openai': 'the Azure portal (Keys and Endpoint › Regenerate the key you replaced)',
};

/**
 * Replaces an account's key in place. Opened by the parent (`onClose` when done or cancelled); the pasted
 * key lives only in the password input and is wiped when the dialog closes, whatever the outcome.
 */
export function RotateKeyDialog({ account, onClose, onRotated }: { account: ProviderAccountDto; onClose: () => void; onRotated: (account: ProviderAccountDto) => void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const keyRef = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const [hasKey, setHasKey] = useState(false);
  const [checkFirst, setCheckFirst] = useState(true);
  const request = useSecretRequest();
  const cache = useVaultCache();

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
    const result = await request.run(async () => {
      const { data } = await rotateProviderKey({ path: { accountId: account.id }, body: { apiKey: input.value, verify: checkFirst }, throwOnError: true });
      return data;
    });
    // Refused or not, this key is done with: a refused key is re-pasted, never edited in place.
    input.value = '';
    setHasKey(false);
    if (!result.ok) return;
    cache.put(result.data);
    onRotated(result.data);
    close();
  }

  const refused = request.error && request.error.status === 422 ? request.error : null;
  const providerCode = refused?.code ?? null;

  return (
    <dialog ref={dialogRef} className="dialog dialog-wide" aria-labelledby={headingId} onCancel={close} data-testid="vault-rotate-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} method="post" noValidate>
        <h2 id={headingId}>Rotate the key of “{account.name}”</h2>
        <div className="dialog-body">
          <p>
            Paste the new key. The account keeps its id, so operators keep working and the next run uses the new key; the old key&apos;s ciphertext is destroyed.
            {REVOKE_AT[account.kind] ? ` Afterwards, revoke the old key at ${REVOKE_AT[account.kind]}.` : ' Afterwards, revoke the old key at the provider.'}
          </p>
          {account.key ? (
            <p className="muted small">
              Current key: <code className="mono">{account.key.hint}</code> · {account.key.fingerprint}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${headingId}-key`}>New API key</label>
          <SecretKeyInput
            id={`${headingId}-key`}
            inputRef={keyRef}
            testId="vault-rotate-key"
            placeholder={account.kind === 'openai-compatible' || account.kind === 'mock' ? 'Paste the new key' : KIND_GUIDES[account.kind].keyPlaceholder}
            onPresenceChange={(present) => {
              setHasKey(present);
              request.reset();
            }}
          />
          <FieldError error={request.error} field="apiKey" />
        </div>
        <label className="check">
          <input type="checkbox" data-testid="vault-rotate-check" checked={checkFirst} onChange={(e) => setCheckFirst(e.target.checked)} />
          <span>
            Check the new key before switching
            <span className="check-help">Vaultrun lists the available models with it first; a refused key is not saved and the current key stays in use.</span>
          </span>
        </label>
        {refused ? (
          <ProviderErrorCallout code={providerCode ?? ''} message={refused.detail} kind={account.kind} />
        ) : request.error && !request.error.fieldError('apiKey') ? (
          <div className="alert alert-error" role="alert">
            {request.error.detail}
          </div>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="vault-rotate-submit" disabled={!hasKey || request.pending}>
            {request.pending ? (checkFirst ? 'Checking the new key…' : 'Rotating…') : 'Rotate key'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
