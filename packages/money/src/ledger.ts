// The budget ledger from TypeScript: thin wrappers around the SQL functions of the Money migration (each one
// round trip, atomic in Postgres), plus the refusals people read when a budget stops a run.
import { CREDITS_BUDGET_NAME, preparedQuery } from '@vaultrun/db';
import { formatUsd } from '@vaultrun/providers';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@vaultrun/vault-core';
import { type RunQuote, worstCaseWithOutput } from './quote.js';

export type RefusalCode = 'budget_exhausted' | 'credits_exhausted' | 'unpriced_model' | 'cost_cap_exceeded' | 'workspace_suspended';

/** Why a run may not start: the run ends `blocked` with this message (or POST /runs answers with it). */
export interface Refusal {
  code: RefusalCode;
  message: string;
  budgetId: string | null;
  details: Record<string, unknown>;
}

interface BudgetState {
  id: string;
  name: string;
  capMicroUsd: number;
  spentMicroUsd: number;
  heldMicroUsd: number;
  /** An overage episode with runs from before it still in flight: nothing is admitted. */
  exhausted: boolean;
  overageMicroUsd: number;
  /** Shrink-to-fit was tried: the budget's floor, and the run's worst case at that floor. */
  shrink: { floor: number; worstCaseMicroUsd: number } | null;
}

function budgetRefusal(b: BudgetState, worstCase: number | null, model: string): Refusal {
  const details = {
    budgetId: b.id,
    budgetName: b.name,
    capMicroUsd: b.capMicroUsd,
    spentMicroUsd: b.spentMicroUsd,
    heldMicroUsd: b.heldMicroUsd,
    worstCaseMicroUsd: worstCase,
    exhausted: b.exhausted,
    overageMicroUsd: b.overageMicroUsd,
    shrinkFloor: b.shrink?.floor ?? null,
  };
  if (worstCase === null) {
    return {
      code: 'unpriced_model',
      message: `No price is known for model "${model}", and budget "${b.name}" applies: add a price override for "${model}" to run it under a budget.`,
      budgetId: b.id,
      details,
    };
  }
  if (b.name === CREDITS_BUDGET_NAME) return creditsRefusal(b, worstCase, details);
  const figures = `cap ${formatUsd(b.capMicroUsd)}, spent ${formatUsd(b.spentMicroUsd)}${b.heldMicroUsd > 0 ? `, held by runs in flight ${formatUsd(b.heldMicroUsd)}` : ''}`;
  if (b.exhausted) {
    return {
      code: 'budget_exhausted',
      message:
        `Budget "${b.name}" is paused after an overage: a provider charged ${formatUsd(b.overageMicroUsd)} more than was held for runs in flight. ` +
        `New runs start again once the runs in flight then have settled, or when an admin raises the cap (${figures}).`,
      budgetId: b.id,
      details,
    };
  }
  if (b.shrink) {
    return {
      code: 'budget_exhausted',
      message:
        `Budget "${b.name}" has no headroom for this run, even with max output tokens reduced to its floor of ${b.shrink.floor}: ${figures}; ` +
        `at that floor this run may cost up to ${formatUsd(b.shrink.worstCaseMicroUsd)}.`,
      budgetId: b.id,
      details,
    };
  }
  return {
    code: 'budget_exhausted',
    message: `Budget "${b.name}" has no headroom for this run: ${figures}; this run may cost up to ${formatUsd(worstCase)}.`,
    budgetId: b.id,
    details,
  };
}

/**
 * The credits budget (docs/managed.md) has no room: the workspace cannot raise it, so the message says what it can do
 * — ask the instance for credits, or move this work to its own key.
 */
function creditsRefusal(b: BudgetState, worstCase: number, details: Record<string, unknown>): Refusal {
  const balance = Math.max(0, b.capMicroUsd - b.spentMicroUsd);
  const inFlight = b.heldMicroUsd > 0 ? `, ${formatUsd(b.heldMicroUsd)} of it held by work in flight` : '';
  const why = b.exhausted
    ? `Your Vaultrun credits are paused after a provider charged ${formatUsd(b.overageMicroUsd)} more than was held; they resume once the work in flight has settled.`
    : `Your Vaultrun credits do not cover this: balance ${formatUsd(balance)}${inFlight}; this may cost up to ${formatUsd(worstCase)}.`;
  return {
    code: 'credits_exhausted',
    message: `${why} Next step: ask your instance administrator for more credits, or connect your own provider key and switch to it (Credits page).`,
    budgetId: b.id,
    details: { ...details, balanceMicroUsd: balance },
  };
}

/** The operator's per-run cost cap (copied onto the run when it was created). */
export function costCapRefusal(capMicroUsd: number | null, worstCase: number | null, model: string): Refusal | null {
  if (capMicroUsd === null) return null;
  if (worstCase === null) {
    return {
      code: 'unpriced_model',
      message: `No price is known for model "${model}", so its per-run cost cap of ${formatUsd(capMicroUsd)} cannot be enforced: add a price override for "${model}".`,
      budgetId: null,
      details: { costCapMicroUsd: capMicroUsd, worstCaseMicroUsd: null },
    };
  }
  if (worstCase <= capMicroUsd) return null;
  return {
    code: 'cost_cap_exceeded',
    message: `This run may cost up to ${formatUsd(worstCase)}, above its per-run cost cap of ${formatUsd(capMicroUsd)}: lower max output tokens or shorten the input.`,
    budgetId: null,
    details: { costCapMicroUsd: capMicroUsd, worstCaseMicroUsd: worstCase },
  };
}

/** A refusal as an API error: 402 for money, 422 for a model with no price. */
export function refusalError(r: Refusal): DomainError {
  return new DomainError(r.code, r.code === 'unpriced_model' ? 'unprocessable' : 'budget_exceeded', r.message, { details: r.details });
}

export type Reservation =
  | {
      ok: true;
      budgets: number;
      attempt: number;
      /** The worst case held (the shrunk one when a budget reduced the run's output); null when no budget applies. */
      heldMicroUsd: number | null;
      /** Shrink-to-fit: the max output tokens the run may use now (written on the run); null when unchanged. */
      maxOutputTokens: number | null;
    }
  | { ok: false; refusal: Refusal };

export interface ReservationRequest {
  runId: string;
  /** The worst case; null = the model has no known price. */
  worstCase: number | null;
  model: string;
  /** What shrink-to-fit needs to re-price the run (RunQuote.shrink); without it the run is never shrunk. */
  shrink?: RunQuote['shrink'];
}

/** One row of `vaultrun_reserve`'s answer. */
export interface ReserveRow {
  run_id: string;
  ok: boolean;
  budgets: number;
  attempt: number;
  amount_micro_usd: string | null;
  max_output_tokens: number | null;
  budget_id: string | null;
  budget_name: string | null;
  cap_micro_usd: string | null;
  spent_micro_usd: string | null;
  held_micro_usd: string | null;
  exhausted: boolean | null;
  overage_micro_usd: string | null;
  shrink_floor: number | null;
}

/** Holds each run's worst case against every budget of it, all or nothing per run, for a batch in one round trip. */
export async function reserveBudgetsBatch(db: DataSource, requests: readonly ReservationRequest[], expiresAt: Date): Promise<Map<string, Reservation>> {
  const { rows } = await preparedQuery<ReserveRow>(db, `SELECT * FROM vaultrun_reserve($1::uuid[], $2::bigint[], $3, $4::bigint[], $5::bigint[], $6::int[])`, [
    requests.map((r) => r.runId),
    requests.map((r) => r.worstCase),
    expiresAt,
    ...reserveArrays(requests),
  ]);
  return reservationsFrom(requests, rows);
}

/** The shrink-to-fit arrays of `vaultrun_reserve` (and of the functions that call it), in request order. */
export function reserveArrays(requests: readonly ReservationRequest[]): [(string | null)[], (number | null)[], (number | null)[]] {
  return [requests.map((r) => r.shrink?.promptCostE6 ?? null), requests.map((r) => r.shrink?.outputPricePerM ?? null), requests.map((r) => r.shrink?.maxOutputTokens ?? null)];
}

/** What `vaultrun_reserve` answered, per run (a run it did not answer for is absent). */
export function reservationsFrom(requests: readonly ReservationRequest[], rows: readonly ReserveRow[]): Map<string, Reservation> {
  const byRun = new Map(requests.map((r) => [r.runId, r]));
  const out = new Map<string, Reservation>();
  for (const r of rows) {
    const req = byRun.get(String(r.run_id))!;
    if (r.ok) {
      out.set(req.runId, {
        ok: true,
        budgets: Number(r.budgets),
        attempt: Number(r.attempt),
        heldMicroUsd: Number(r.budgets) > 0 && r.amount_micro_usd !== null ? Number(r.amount_micro_usd) : null,
        maxOutputTokens: r.max_output_tokens,
      });
    } else {
      const state: BudgetState = {
        id: String(r.budget_id),
        name: String(r.budget_name),
        capMicroUsd: Number(r.cap_micro_usd),
        spentMicroUsd: Number(r.spent_micro_usd),
        heldMicroUsd: Number(r.held_micro_usd),
        exhausted: r.exhausted === true,
        overageMicroUsd: Number(r.overage_micro_usd ?? 0),
        shrink: r.shrink_floor !== null && req.shrink ? { floor: r.shrink_floor, worstCaseMicroUsd: worstCaseWithOutput(req.shrink, r.shrink_floor) } : null,
      };
      out.set(req.runId, { ok: false, refusal: budgetRefusal(state, req.worstCase, req.model) });
    }
  }
  return out;
}

export async function reserveBudgets(db: DataSource, runId: string, worstCase: number | null, expiresAt: Date, model: string, shrink: RunQuote['shrink'] = null): Promise<Reservation> {
  const res = (await reserveBudgetsBatch(db, [{ runId, worstCase, model, shrink }], expiresAt)).get(runId);
  if (!res) throw new Error(`run ${runId} does not exist`);
  return res;
}

/**
 * Combines the reservations of concurrent runs in this process into batches: while one batch is in flight, the
 * next gathers. A hot budget's period row is then locked (and committed, and fsynced) once per batch instead of
 * once per run — without it, every run of a busy budget would queue for that one row.
 */
export class BudgetReserver {
  private queue: { request: ReservationRequest; resolve: (r: Reservation) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly db: DataSource,
    private readonly holdTtlMs: number,
    private readonly maxBatch = 200,
  ) {}

  reserve(request: ReservationRequest): Promise<Reservation> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await reserveBudgetsBatch(this.db, batch.map((b) => b.request), new Date(Date.now() + this.holdTtlMs));
          for (const b of batch) {
            const r = results.get(b.request.runId);
            if (r) b.resolve(r);
            else b.reject(new Error(`run ${b.request.runId} does not exist`));
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

/**
 * How an attempt's holds close: `{ charge }` settles them to what the call cost (charge null: the outcome is
 * unknown, so the held worst case stays as spend); `release` drops them (the call certainly cost nothing).
 */
export type HoldClosing = { charge: number | null } | 'release';

/** SQL (for a CTE over the updated run `upd`) and its parameters: closes the holds in the run's own transition. */
export function holdClosingSql(closing: HoldClosing, attempt: number | null, param: (v: unknown) => string): string {
  return closing === 'release'
    ? `SELECT vaultrun_release(upd.id, ${param(attempt)}::int) AS n FROM upd`
    : `SELECT vaultrun_settle(upd.id, ${param(attempt)}::int, ${param(closing.charge)}::bigint) AS n FROM upd`;
}

/** Closes an attempt's holds on their own (when the run's transition did not, e.g. it was cancelled meanwhile). */
export async function closeHolds(db: DataSource, runId: string, attempt: number | null, closing: HoldClosing): Promise<number> {
  const { rows } =
    closing === 'release'
      ? await preparedQuery<{ n: number }>(db, `SELECT vaultrun_release($1, $2::int) AS n`, [runId, attempt])
      : await preparedQuery<{ n: number }>(db, `SELECT vaultrun_settle($1, $2::int, $3::bigint) AS n`, [runId, attempt, closing.charge]);
  return Number(rows[0]?.n ?? 0);
}

/** Closes holds nobody closed (crashed workers, expired holds). Safe to run from any number of processes. */
export async function sweepHolds(db: DataSource | EntityManager, limit = 500): Promise<{ settled: number; expired: number }> {
  const rows: { settled: number; expired: number }[] = await db.query(`SELECT * FROM vaultrun_sweep_holds($1)`, [limit]);
  return { settled: Number(rows[0]?.settled ?? 0), expired: Number(rows[0]?.expired ?? 0) };
}

/** Who a piece of work would be charged to: what a budget's scope may name. */
export interface BudgetScope {
  accountId: string | null;
  operatorId: string | null;
  tokenId: string | null;
}

/** A budget that applies, with its current period's balance: settled spend and holds of runs in flight. */
export interface ApplicableBudget {
  id: string;
  name: string;
  capMicroUsd: number;
  spentMicroUsd: number;
  heldMicroUsd: number;
}

interface ApplicableBudgetRow {
  scope_index: number;
  id: string;
  name: string;
  cap_micro_usd: string;
  spent: string;
  held: string;
}

/**
 * The budgets that apply to each scope, by the ledger's own rule (`vaultrun_budgets_for`, the function reservations
 * use), with their balance in the current period; one round trip for every scope. `budgets` lists each budget once,
 * by name; `covering[i]` holds the ids of the budgets that apply to `scopes[i]`.
 */
export async function budgetsFor(
  db: DataSource | EntityManager,
  workspaceId: string,
  scopes: readonly BudgetScope[],
): Promise<{ budgets: ApplicableBudget[]; covering: string[][] }> {
  const covering: string[][] = scopes.map(() => []);
  if (!scopes.length) return { budgets: [], covering };
  const rows: ApplicableBudgetRow[] = await db.query(
    `SELECT (s.ord - 1)::int AS scope_index, b.id, b.name, b.cap_micro_usd, COALESCE(bb.spent_micro_usd, 0) AS spent, COALESCE(bb.held_micro_usd, 0) AS held
       FROM unnest($2::uuid[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS s(account_id, operator_id, token_id, ord)
       CROSS JOIN LATERAL vaultrun_budgets_for($1, s.account_id, s.operator_id, s.token_id) b
       LEFT JOIN budget_balances bb ON bb.budget_id = b.id AND bb.period_start = vaultrun_period_start(b.period, now())
      ORDER BY b.name, b.id, s.ord`,
    [workspaceId, scopes.map((s) => s.accountId), scopes.map((s) => s.operatorId), scopes.map((s) => s.tokenId)],
  );
  const budgets = new Map<string, ApplicableBudget>();
  for (const r of rows) {
    if (!budgets.has(r.id)) {
      budgets.set(r.id, { id: r.id, name: r.name, capMicroUsd: Number(r.cap_micro_usd), spentMicroUsd: Number(r.spent), heldMicroUsd: Number(r.held) });
    }
    covering[r.scope_index]!.push(r.id);
  }
  return { budgets: [...budgets.values()], covering };
}

/**
 * The API's check on POST /runs, without locks: refuses at once when a budget is exhausted by an overage, or its
 * settled spend alone leaves no room for the run's worst case — for a shrink-to-fit budget, its worst case at the
 * budget's floor — or the model has no price. Holds of runs in flight are not counted here — they may still be
 * released; the worker's atomic reservation is what guarantees the cap.
 */
export async function precheckBudgets(
  db: DataSource | EntityManager,
  scope: { workspaceId: string; accountId: string; operatorId: string | null; tokenId: string | null },
  quote: Pick<RunQuote, 'worstCaseMicroUsd' | 'shrink'>,
  model: string,
): Promise<Refusal | null> {
  const rows: {
    id: string;
    name: string;
    cap_micro_usd: string;
    shrink_min_output_tokens: number | null;
    spent: string;
    held: string;
    exhausted: boolean;
    overage: string;
  }[] = await db.query(
    `SELECT b.id, b.name, b.cap_micro_usd, b.shrink_min_output_tokens, COALESCE(bp.spent_micro_usd, 0) AS spent, COALESCE(bp.held_micro_usd, 0) AS held,
            COALESCE(bp.exhausted, false) AS exhausted, COALESCE(bp.overage_micro_usd, 0) AS overage
       FROM vaultrun_budgets_for($1, $2, $3, $4) b
       LEFT JOIN budget_balances bp ON bp.budget_id = b.id AND bp.period_start = vaultrun_period_start(b.period, now())
      ORDER BY b.id`,
    [scope.workspaceId, scope.accountId, scope.operatorId, scope.tokenId],
  );
  const worstCase = quote.worstCaseMicroUsd;
  for (const b of rows) {
    const state: BudgetState = {
      id: b.id,
      name: b.name,
      capMicroUsd: Number(b.cap_micro_usd),
      spentMicroUsd: Number(b.spent),
      heldMicroUsd: Number(b.held),
      exhausted: b.exhausted,
      overageMicroUsd: Number(b.overage),
      shrink: null,
    };
    if (worstCase === null || state.exhausted) return budgetRefusal(state, worstCase, model);
    if (state.spentMicroUsd + worstCase <= state.capMicroUsd) continue;
    const canShrink = b.shrink_min_output_tokens !== null && quote.shrink !== null && quote.shrink.outputPricePerM > 0;
    if (!canShrink) return budgetRefusal(state, worstCase, model);
    const floor = Math.min(b.shrink_min_output_tokens!, quote.shrink!.maxOutputTokens);
    const atFloor = worstCaseWithOutput(quote.shrink!, floor);
    if (state.spentMicroUsd + atFloor > state.capMicroUsd) return budgetRefusal({ ...state, shrink: { floor: b.shrink_min_output_tokens!, worstCaseMicroUsd: atFloor } }, worstCase, model);
  }
  return null;
}
