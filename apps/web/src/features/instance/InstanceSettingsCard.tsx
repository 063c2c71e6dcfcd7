import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { getInstanceSettingsOptions, getInstanceSettingsQueryKey, updateInstanceSettingsMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { InstanceSettingsDto } from '../../api/generated/types.gen.js';
import { FieldError, hasOnlyFieldErrors, Loading, ProblemAlert } from '../../lib/ui.js';
import { CREDITS_NAME, formatMultiplier, parseMultiplier } from '../credits/credit-labels.js';

/** The instance's credit settings: the price multiplier on managed usage and when workspaces are warned. */
export function InstanceSettingsCard() {
  const settings = useQuery(getInstanceSettingsOptions());
  return (
    <section className="card" aria-labelledby="instance-settings-heading" data-testid="instance-settings">
      <h2 id="instance-settings-heading">Credit settings</h2>
      {settings.isPending ? <Loading /> : settings.isError ? <ProblemAlert error={settings.error} /> : <SettingsForm settings={settings.data} />}
    </section>
  );
}

function SettingsForm({ settings }: { settings: InstanceSettingsDto }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [multiplier, setMultiplier] = useState(formatMultiplier(settings.priceMultiplierPermille).slice(1));
  const [alertPct, setAlertPct] = useState(String(settings.lowBalanceAlertPct));
  const [saved, setSaved] = useState(false);
  const update = useMutation({
    ...updateInstanceSettingsMutation(),
    onSuccess: async (next) => {
      queryClient.setQueryData(getInstanceSettingsQueryKey(), next);
      setMultiplier(formatMultiplier(next.priceMultiplierPermille).slice(1));
      setSaved(true);
    },
  });
  const permille = parseMultiplier(multiplier);

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    if (permille === undefined) return;
    // The percentage goes as typed: the API names it when it is out of range.
    update.mutate({ body: { priceMultiplierPermille: permille, lowBalanceAlertPct: Number(alertPct.trim() || '0') } });
  }

  return (
    <form className="form instance-settings-form" onSubmit={submit} noValidate>
      <div className="form-row">
        <div className="field">
          <label htmlFor={`${id}-multiplier`}>Price multiplier</label>
          <div className="input-prefixed">
            <span aria-hidden="true">×</span>
            <input id={`${id}-multiplier`} data-testid="instance-multiplier" inputMode="decimal" value={multiplier} aria-describedby={`${id}-multiplier-hint`} onChange={(e) => setMultiplier(e.target.value)} />
          </div>
          <p className="field-hint" id={`${id}-multiplier-hint`}>
            Workspaces pay the provider&apos;s price times this in {CREDITS_NAME}: ×1.00 passes the price on, ×1.25 adds a quarter.
          </p>
          {permille === undefined ? <p className="field-error">Enter a number such as 1.00 or 1.25 (up to three decimals).</p> : null}
          <FieldError error={update.error} field="priceMultiplierPermille" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-alert`}>Low-balance alert at (% used)</label>
          <input id={`${id}-alert`} data-testid="instance-low-balance-pct" type="number" inputMode="numeric" min={1} max={100} value={alertPct} onChange={(e) => setAlertPct(e.target.value)} aria-describedby={`${id}-alert-hint`} />
          <p className="field-hint" id={`${id}-alert-hint`}>
            A workspace sees a banner once this share of its credits is used.
          </p>
          <FieldError error={update.error} field="lowBalanceAlertPct" />
        </div>
      </div>
      {update.error && !hasOnlyFieldErrors(update.error, ['priceMultiplierPermille', 'lowBalanceAlertPct']) ? <ProblemAlert error={update.error} title="Could not save:" /> : null}
      {saved ? (
        <p className="alert alert-success" role="status" data-testid="instance-settings-saved">
          Saved.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="instance-settings-save" disabled={update.isPending || permille === undefined}>
          {update.isPending ? 'Saving…' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}
