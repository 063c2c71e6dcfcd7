import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { createMissionPlanMutation, getMissionQueryKey, listOperatorsOptions } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreatePlanDto, PlanDto } from '../../api/generated/types.gen.js';
import { isApiProblem } from '../../lib/problem.js';
import { useCan } from '../../lib/session.js';
import { ProblemAlert } from '../../lib/ui.js';
import { FAILURE_POLICY_TEXT } from './mission-labels.js';

interface DraftStep {
  key: number;
  id: string;
  /** An operator id, or the name the plan gave (an unknown operator, kept so the API names the problem). */
  operator: string;
  input: string;
  dependsOn: string[];
}

interface Draft {
  title: string;
  failurePolicy: PlanDto['failurePolicy'];
  steps: DraftStep[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A person's edit of a plan: saving proposes a new plan based on it (the API checks it and names every problem). */
export function PlanEditor({ missionId, plan, onSaved, onCancel }: { missionId: string; plan: PlanDto; onSaved: (created: PlanDto) => void; onCancel: () => void }) {
  const qc = useQueryClient();
  const canSeeOperators = useCan('operators:read');
  const operators = useQuery({ ...listOperatorsOptions(), enabled: canSeeOperators });
  const nextKey = useRef(plan.steps.length);
  const [draft, setDraft] = useState<Draft>(() => ({
    title: plan.title,
    failurePolicy: plan.failurePolicy,
    steps: plan.steps.map((s, i) => ({ key: i, id: s.id, operator: s.operatorId ?? s.operatorName, input: s.input, dependsOn: [...s.dependsOn] })),
  }));
  const save = useMutation({
    ...createMissionPlanMutation(),
    onSuccess: (created) => {
      void qc.invalidateQueries({ queryKey: getMissionQueryKey({ path: { missionId } }), exact: true });
      onSaved(created);
    },
  });
  const titleId = useId();
  const policyId = useId();

  const setStep = (key: number, patch: Partial<DraftStep>) => setDraft((d) => ({ ...d, steps: d.steps.map((s) => (s.key === key ? { ...s, ...patch } : s)) }));
  /** Renaming a step follows it through the other steps' dependencies and {{steps.<id>.output}} references. */
  const renameStep = (key: number, id: string) =>
    setDraft((d) => {
      const old = d.steps.find((s) => s.key === key)?.id ?? '';
      const ref = old ? new RegExp(`\\{\\{\\s*steps\\.${escapeRegExp(old)}\\.output\\s*\\}\\}`, 'g') : null;
      return {
        ...d,
        steps: d.steps.map((s) =>
          s.key === key
            ? { ...s, id }
            : old && id
              ? { ...s, dependsOn: s.dependsOn.map((x) => (x === old ? id : x)), input: ref ? s.input.replace(ref, `{{steps.${id}.output}}`) : s.input }
              : s,
        ),
      };
    });
  const removeStep = (key: number) =>
    setDraft((d) => {
      const gone = d.steps.find((s) => s.key === key)?.id;
      return { ...d, steps: d.steps.filter((s) => s.key !== key).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((x) => x !== gone) })) };
    });
  const addStep = () =>
    setDraft((d) => {
      const taken = new Set(d.steps.map((s) => s.id));
      let n = d.steps.length + 1;
      while (taken.has(`step${n}`)) n++;
      const last = d.steps[d.steps.length - 1];
      return { ...d, steps: [...d.steps, { key: nextKey.current++, id: `step${n}`, operator: operators.data?.items[0]?.id ?? '', input: last ? `Work on this:\n{{steps.${last.id}.output}}` : '', dependsOn: last ? [last.id] : [] }] };
    });
  const toggleDep = (key: number, dep: string, on: boolean) =>
    setDraft((d) => ({ ...d, steps: d.steps.map((s) => (s.key === key ? { ...s, dependsOn: on ? [...s.dependsOn.filter((x) => x !== dep), dep] : s.dependsOn.filter((x) => x !== dep) } : s)) }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: CreatePlanDto = {
      basedOnPlanId: plan.id,
      title: draft.title.trim(),
      failurePolicy: draft.failurePolicy,
      steps: draft.steps.map((s) => ({ id: s.id.trim(), operator: s.operator, input: s.input, dependsOn: s.dependsOn })),
    };
    save.mutate({ path: { missionId }, body });
  };

  // A 400 invalid_plan lists every problem (field "steps"); other field errors name their field.
  const problems = isApiProblem(save.error) && save.error.status === 400 ? (save.error.errors ?? []) : [];
  const operatorList = operators.data?.items ?? [];

  return (
    <form className="form plan-editor" onSubmit={submit} data-testid="plan-editor" aria-label="Edit the plan">
      <div className="form-row plan-editor-head">
        <div className="field field-grow">
          <label htmlFor={titleId}>Title</label>
          <input id={titleId} type="text" maxLength={200} value={draft.title} onChange={(e) => setDraft((d) => ({ ...d, title: e.target.value }))} data-testid="plan-edit-title" />
        </div>
        <div className="field">
          <label htmlFor={policyId}>When a step fails</label>
          <select id={policyId} value={draft.failurePolicy} onChange={(e) => setDraft((d) => ({ ...d, failurePolicy: e.target.value as PlanDto['failurePolicy'] }))} data-testid="plan-edit-policy">
            {(['stop', 'continue'] as const).map((p) => (
              <option key={p} value={p}>
                {FAILURE_POLICY_TEXT[p].label}
              </option>
            ))}
          </select>
        </div>
      </div>

      <ol className="plan-editor-steps">
        {draft.steps.map((step, index) => (
          <li key={step.key} className="plan-editor-step" data-testid="plan-edit-step" data-step-index={index}>
            <div className="plan-editor-row">
              <div className="field">
                <label htmlFor={`step-id-${step.key}`}>Step id</label>
                <input id={`step-id-${step.key}`} type="text" maxLength={40} value={step.id} onChange={(e) => renameStep(step.key, e.target.value)} className="mono" data-testid="plan-edit-step-id" />
              </div>
              <div className="field">
                <label htmlFor={`step-op-${step.key}`}>Operator</label>
                {canSeeOperators ? (
                  <select id={`step-op-${step.key}`} value={step.operator} onChange={(e) => setStep(step.key, { operator: e.target.value })} data-testid="plan-edit-step-operator">
                    {step.operator === '' ? <option value="">Choose an operator</option> : null}
                    {step.operator && !operatorList.some((o) => o.id === step.operator) ? <option value={step.operator}>{operators.isPending ? step.operator : `${step.operator} (unknown)`}</option> : null}
                    {operatorList.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input id={`step-op-${step.key}`} type="text" value={step.operator} onChange={(e) => setStep(step.key, { operator: e.target.value })} data-testid="plan-edit-step-operator" />
                )}
              </div>
              <div className="field-button">
                <button type="button" className="btn btn-danger-ghost btn-small" onClick={() => removeStep(step.key)} aria-label={`Remove step ${step.id}`} data-testid="plan-edit-step-remove">
                  Remove
                </button>
              </div>
            </div>
            <div className="field">
              <label htmlFor={`step-input-${step.key}`}>Input</label>
              <textarea id={`step-input-${step.key}`} className="mono plan-editor-input" rows={3} value={step.input} onChange={(e) => setStep(step.key, { input: e.target.value })} data-testid="plan-edit-step-input" />
              <span className="field-hint">
                <code className="mono">{'{{steps.<id>.output}}'}</code> inserts the output of a step it depends on.
              </span>
            </div>
            {draft.steps.length > 1 ? (
              <fieldset className="fieldset plan-editor-deps">
                <legend>Depends on</legend>
                <div className="toggle-chips">
                  {draft.steps
                    .filter((other) => other.key !== step.key)
                    .map((other) => {
                      const on = step.dependsOn.includes(other.id);
                      return (
                        <label key={other.key} className={`toggle-chip${on ? ' toggle-chip-on' : ''}`}>
                          <input type="checkbox" className="visually-hidden" checked={on} onChange={(e) => toggleDep(step.key, other.id, e.target.checked)} data-testid={`plan-edit-dep-${other.id}`} />
                          <span className="mono">{other.id || '(no id)'}</span>
                        </label>
                      );
                    })}
                </div>
              </fieldset>
            ) : null}
          </li>
        ))}
      </ol>
      <div>
        <button type="button" className="btn btn-secondary btn-small" onClick={addStep} disabled={draft.steps.length >= 25} data-testid="plan-edit-add-step">
          Add a step
        </button>
      </div>

      {problems.length ? (
        <div className="alert alert-error" role="alert" data-testid="plan-edit-errors">
          <strong>Not saved — fix {problems.length === 1 ? 'this problem' : `these ${problems.length} problems`}:</strong>
          <ul className="plan-errors">
            {problems.map((p, i) => (
              <li key={i} data-testid="plan-edit-error">
                {p.field !== 'steps' ? <code className="mono">{p.field}</code> : null} {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <ProblemAlert error={save.error} />
      )}

      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending || draft.steps.length === 0} data-testid="plan-edit-save">
          {save.isPending ? 'Saving…' : 'Propose this plan'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel} data-testid="plan-edit-cancel">
          Cancel
        </button>
        <span className="muted small">Saving replaces the plan awaiting approval; nothing runs until it is approved.</span>
      </div>
    </form>
  );
}
