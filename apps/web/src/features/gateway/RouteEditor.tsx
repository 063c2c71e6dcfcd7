import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useRef, useState } from 'react';
import { createGatewayRouteMutation, listGatewayRoutesQueryKey, updateGatewayRouteMutation } from '../../api/generated/@tanstack/react-query.gen.js';
import type { CreateGatewayRouteDto, GatewayRouteDto, ProviderAccountDto } from '../../api/generated/types.gen.js';
import { zCreateGatewayRouteDto, zGatewayRouteTargetInputDto } from '../../api/generated/zod.gen.js';
import { fieldErrors } from '../../lib/form-rules.js';
import { isApiProblem } from '../../lib/problem.js';
import { ProblemAlert } from '../../lib/ui.js';
import { AccountSelect, canRun, ModelInput, modelHint } from '../vault/AccountPickers.js';

/** The API's limit on targets per route (CreateGatewayRouteDto: 1–8). */
export const MAX_TARGETS = 8;

interface TargetDraft {
  /** A stable React key while targets move. */
  key: number;
  accountId: string;
  model: string;
}

const NAME_PATTERN_MESSAGE = 'Use printable characters without spaces, as apps send it (fast, gpt-4o-mini, team/chat).';

/** The model a target keeps when its account changes: what was typed stays; the old account's default becomes the new one's. */
function modelAfterSwitch(model: string, from: ProviderAccountDto | undefined, to: ProviderAccountDto | undefined): string {
  if (model.trim() && model.trim() !== from?.defaultModel) return model;
  return to?.defaultModel ?? '';
}

/**
 * Create or edit a model route: its public name, a description, and its targets in order — the first admissible one
 * serves a call, the next ones are its fallbacks. The body is checked against the API's own schema
 * (`zCreateGatewayRouteDto`, from the OpenAPI document) before it is sent: nothing shows until the first submit, then
 * each message follows its field and leaves as soon as the field is fixed. What the server refuses (an account that is
 * not in the workspace, a name already taken) is shown on the field it names.
 */
export function RouteEditor({
  route,
  accounts,
  defaultAccountId,
  onDone,
  onCancel,
}: {
  /** The route being edited; absent to create one. */
  route?: GatewayRouteDto;
  accounts: ProviderAccountDto[];
  defaultAccountId: string | null;
  onDone: (route: GatewayRouteDto) => void;
  onCancel: () => void;
}) {
  const formId = useId();
  const queryClient = useQueryClient();
  const nextKey = useRef(0);
  const draft = (accountId: string, model: string): TargetDraft => ({ key: nextKey.current++, accountId, model });
  const [name, setName] = useState(route?.name ?? '');
  const [description, setDescription] = useState(route?.description ?? '');
  const [targets, setTargets] = useState<TargetDraft[]>(() =>
    route ? route.targets.map((t) => draft(t.accountId, t.model)) : [draft(defaultAccountId ?? '', accounts.find((a) => a.id === defaultAccountId)?.defaultModel ?? '')],
  );
  const [attempted, setAttempted] = useState(false);

  const onSaved = async (saved: GatewayRouteDto) => {
    await queryClient.invalidateQueries({ queryKey: listGatewayRoutesQueryKey() });
    onDone(saved);
  };
  const create = useMutation({ ...createGatewayRouteMutation(), onSuccess: onSaved });
  const update = useMutation({ ...updateGatewayRouteMutation(), onSuccess: onSaved });
  const save = route ? update : create;

  const body: CreateGatewayRouteDto = {
    name,
    description: description.trim() ? description.trim() : null,
    targets: targets.map((t) => ({ accountId: t.accountId, model: t.model.trim() })),
  };
  const errors = attempted ? fieldErrors(zCreateGatewayRouteDto, body) : {};
  const targetErrors = targets.map((t) => (attempted ? fieldErrors(zGatewayRouteTargetInputDto, { accountId: t.accountId, model: t.model.trim() }) : {}));
  // A target's own problems show on its fields; the list's (none, more than 8) under the list.
  const listError = targetErrors.some((e) => Object.keys(e).length) ? undefined : errors.targets;
  // The route name's pattern has no words of its own in the schema: say what it needs.
  const nameRule = errors.name && name.length > 0 && name.length <= 200 ? NAME_PATTERN_MESSAGE : errors.name;
  const serverError = (field: string): string | undefined => {
    const problem = save.error;
    if (!isApiProblem(problem)) return undefined;
    if (field === 'name' && problem.code === 'route_name_taken') return problem.detail;
    return problem.fieldError(field);
  };
  const shownFields = ['name', 'description', 'targets', ...targets.flatMap((_, i) => [`targets.${i}.accountId`, `targets.${i}.model`])];
  const alertShown = isApiProblem(save.error) ? save.error.code !== 'route_name_taken' && !(save.error.errors?.length && save.error.errors.every((e) => shownFields.includes(e.field))) : !!save.error;

  /** Any edit makes the server's last answer stale: its messages go, the schema's stay in step. */
  const edit = (apply: () => void) => {
    if (save.error) save.reset();
    apply();
  };
  const setTarget = (index: number, patch: Partial<TargetDraft>) => edit(() => setTargets((list) => list.map((t, i) => (i === index ? { ...t, ...patch } : t))));
  const move = (index: number, by: -1 | 1) =>
    edit(() =>
      setTargets((list) => {
        const next = [...list];
        const [moved] = next.splice(index, 1);
        next.splice(index + by, 0, moved!);
        return next;
      }),
    );
  const remove = (index: number) => edit(() => setTargets((list) => list.filter((_, i) => i !== index)));
  const add = () => edit(() => setTargets((list) => [...list, draft('', '')]));

  function submit(event: FormEvent) {
    event.preventDefault();
    setAttempted(true);
    const problems = fieldErrors(zCreateGatewayRouteDto, body);
    if (Object.keys(problems).length) return;
    if (route) update.mutate({ path: { routeId: route.id }, body });
    else create.mutate({ body });
  }

  const heading = route ? `Edit the route “${route.name}”` : 'New model route';
  return (
    <section className="card route-editor" aria-labelledby={`${formId}-heading`} data-testid="route-editor">
      <h3 id={`${formId}-heading`}>{heading}</h3>
      <form className="form" onSubmit={submit} noValidate>
        {alertShown ? <ProblemAlert error={save.error} title="Could not save the route:" /> : null}
        <div className="form-row">
          <div className="field field-grow">
            <label htmlFor={`${formId}-name`}>Model name apps send</label>
            <input
              id={`${formId}-name`}
              data-testid="route-name"
              value={name}
              maxLength={200}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. fast"
              aria-invalid={!!(nameRule ?? serverError('name'))}
              aria-describedby={`${formId}-name-error`}
              onChange={(e) => edit(() => setName(e.target.value))}
            />
            {nameRule || serverError('name') ? (
              <p className="field-error" id={`${formId}-name-error`} data-testid="route-name-error">
                {nameRule ?? serverError('name')}
              </p>
            ) : null}
          </div>
          <div className="field field-grow">
            <label htmlFor={`${formId}-description`}>Description (optional)</label>
            <input id={`${formId}-description`} data-testid="route-description" value={description} maxLength={500} onChange={(e) => edit(() => setDescription(e.target.value))} />
            {errors.description || serverError('description') ? <p className="field-error">{errors.description ?? serverError('description')}</p> : null}
          </div>
        </div>

        <fieldset className="field fieldset">
          <legend>Targets, in order</legend>
          <p className="field-hint">
            The first target whose account may serve the call is used. The next one is tried when the provider fails with a 5xx, a timeout, a dropped
            connection or a rate limit — never on an invalid key, an exhausted quota or a bad request. Accounts that cannot run, or have no free slot
            or budget headroom, are skipped.
          </p>
          <ol className="route-targets">
            {targets.map((t, i) => {
              const account = accounts.find((a) => a.id === t.accountId);
              const hint = modelHint(t.model, account);
              const accountError = targetErrors[i]?.accountId ?? serverError(`targets.${i}.accountId`);
              const modelError = targetErrors[i]?.model ?? serverError(`targets.${i}.model`);
              const id = `${formId}-target-${t.key}`;
              return (
                <li key={t.key} className="route-target" data-testid="route-target" data-index={i}>
                  <span className="route-target-order" aria-hidden="true">
                    {i + 1}
                  </span>
                  <div className="route-target-fields">
                    <div className="field">
                      <label htmlFor={`${id}-account`}>{i === 0 ? 'Account' : `Fallback ${i} account`}</label>
                      <AccountSelect
                        id={`${id}-account`}
                        value={t.accountId}
                        onChange={(accountId) => setTarget(i, { accountId, model: modelAfterSwitch(t.model, account, accounts.find((a) => a.id === accountId)) })}
                        accounts={accounts}
                        inheritLabel="Choose an account…"
                        testId="route-target-account"
                      />
                      {account && !canRun(account) ? (
                        <p className="field-warning" data-testid="route-target-cannot-run">
                          {account.name} cannot run now: calls skip this target until someone fixes the account.
                        </p>
                      ) : null}
                      {accountError ? (
                        <p className="field-error" data-testid="route-target-account-error">
                          {accountError}
                        </p>
                      ) : null}
                    </div>
                    <div className="field field-grow">
                      <label htmlFor={`${id}-model`}>Provider model</label>
                      <ModelInput
                        id={`${id}-model`}
                        value={t.model}
                        onChange={(model) => setTarget(i, { model })}
                        models={account?.models ?? []}
                        placeholder={account?.defaultModel ?? 'e.g. gpt-4o-mini'}
                        testId="route-target-model"
                      />
                      {modelError ? (
                        <p className="field-error" data-testid="route-target-model-error">
                          {modelError}
                        </p>
                      ) : (
                        <p className={hint.warn ? 'field-warning' : 'field-hint'}>{hint.text}</p>
                      )}
                    </div>
                  </div>
                  <div className="route-target-actions">
                    <button type="button" className="btn btn-ghost btn-small" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move target ${i + 1} up`} data-testid="route-target-up">
                      ↑
                    </button>
                    <button
                      type="button"
                      className="btn btn-ghost btn-small"
                      disabled={i === targets.length - 1}
                      onClick={() => move(i, 1)}
                      aria-label={`Move target ${i + 1} down`}
                      data-testid="route-target-down"
                    >
                      ↓
                    </button>
                    <button type="button" className="btn btn-ghost btn-small" disabled={targets.length === 1} onClick={() => remove(i)} aria-label={`Remove target ${i + 1}`} data-testid="route-target-remove">
                      Remove
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>
          {listError || serverError('targets') ? (
            <p className="field-error" data-testid="route-targets-error">
              {listError ?? serverError('targets')}
            </p>
          ) : null}
          <button type="button" className="btn btn-secondary btn-small" disabled={targets.length >= MAX_TARGETS} onClick={add} data-testid="route-target-add">
            Add a fallback target
          </button>
          {targets.length >= MAX_TARGETS ? <p className="field-hint">A route has at most {MAX_TARGETS} targets.</p> : null}
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="route-save" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : route ? 'Save the route' : 'Create the route'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel} data-testid="route-cancel">
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
