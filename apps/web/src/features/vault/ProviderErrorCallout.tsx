import type { AccountKind } from './account-labels.js';
import { troubleshootingTip } from './account-labels.js';

/** A provider error in words ("Invalid API key — verify the full key was copied") with what to do about it. */
export function ProviderErrorCallout({ code, message, kind, title }: { code: string; message: string; kind: AccountKind; title?: string }) {
  const tip = troubleshootingTip(code, kind);
  // Waiting fixes these; the others need someone to act.
  const transient = code === 'rate_limited' || code === 'provider_unavailable';
  return (
    <div className={`alert ${transient ? 'alert-warning' : 'alert-error'} provider-error`} role="alert" data-code={code}>
      {title ? <strong className="provider-error-title">{title}</strong> : null}
      <p data-testid="vault-error">{message}</p>
      {tip ? <p className="provider-error-tip">{tip}</p> : null}
    </div>
  );
}
