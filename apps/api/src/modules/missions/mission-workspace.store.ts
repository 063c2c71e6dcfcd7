// What missions read from the rest of the workspace — operators, the accounts work may run on, prices — each SQL
// statement with its row type declared and mapped here (the rest through TypeORM entities).
import { Operator, TokenCalibration } from '@vaultrun/db';
import type { PriceOverrideRow } from '@vaultrun/money';
import type { DataSource, EntityManager } from 'typeorm';
import { type AccountViewer, accountVisibleSql, positional } from '../vault/visibility.js';

type Db = DataSource | EntityManager;

export function workspaceOperators(db: Db, workspaceId: string): Promise<Operator[]> {
  return db.getRepository(Operator).find({ where: { workspaceId }, order: { name: 'ASC' } });
}

/** An account work may run on, and whether the caller may use it (../vault/visibility.ts). */
export interface UsableAccount {
  id: string;
  name: string;
  kind: string;
  /** Where its calls go (an OpenAI-compatible account is priced by the preset its base URL calls). */
  baseUrl: string | null;
  status: string;
  defaultModel: string | null;
  usable: boolean;
}

interface UsableAccountRow {
  id: string;
  name: string;
  kind: string;
  base_url: string | null;
  status: string;
  default_model: string | null;
  usable: boolean;
}

const usableAccountOf = (r: UsableAccountRow): UsableAccount => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  baseUrl: r.base_url,
  status: r.status,
  defaultModel: r.default_model,
  usable: r.usable,
});

interface CopilotAccountRow extends Omit<UsableAccountRow, 'id'> {
  id: string | null;
  copilot_model: string | null;
  workspace_model: string | null;
}

/** The account and model the Copilot answers with: the workspace's copilot settings, else its defaults. */
export async function copilotSetting(db: Db, workspaceId: string, viewer: AccountViewer): Promise<{ account: UsableAccount | null; model: string | null }> {
  const params: unknown[] = [workspaceId];
  const usable = accountVisibleSql('a', viewer, positional(params));
  const [r] = (await db.query(
    `SELECT a.id, a.name, a.kind, a.base_url, a.status, a.default_model, w.copilot_model, w.default_model AS workspace_model, ${usable} AS usable
       FROM workspaces w LEFT JOIN provider_accounts a ON a.workspace_id = w.id AND a.id = COALESCE(w.copilot_account_id, w.default_account_id)
      WHERE w.id = $1`,
    params,
  )) as CopilotAccountRow[];
  if (!r?.id) return { account: null, model: r?.copilot_model ?? r?.workspace_model ?? null };
  return { account: usableAccountOf({ ...r, id: r.id }), model: r.copilot_model ?? r.default_model ?? r.workspace_model };
}

export interface StepAccount extends UsableAccount {
  workspaceDefault: boolean;
  workspaceModel: string | null;
}

interface StepAccountRow extends UsableAccountRow {
  workspace_default: boolean;
  workspace_model: string | null;
}

/** Every account of the workspace a plan's steps may run on, with the workspace defaults they fall back to. */
export async function stepAccounts(db: Db, workspaceId: string, viewer: AccountViewer): Promise<StepAccount[]> {
  const params: unknown[] = [workspaceId];
  const usable = accountVisibleSql('a', viewer, positional(params));
  const rows: StepAccountRow[] = await db.query(
    `SELECT a.id, a.name, a.kind, a.base_url, a.status, a.default_model, (a.id = w.default_account_id) AS workspace_default, w.default_model AS workspace_model, ${usable} AS usable
       FROM provider_accounts a JOIN workspaces w ON w.id = a.workspace_id WHERE a.workspace_id = $1`,
    params,
  );
  return rows.map((r) => ({ ...usableAccountOf(r), workspaceDefault: r.workspace_default, workspaceModel: r.workspace_model }));
}

/** An operator as a plan estimate prices it: the account and model a step on it would run on. */
export interface OperatorQuoteInputs {
  id: string;
  instructions: string;
  maxOutputTokens: number;
  outputSchema: Record<string, unknown> | null;
  /** Null when no account resolves (none on the operator, no workspace default). */
  account: { id: string; kind: string; baseUrl: string | null; shown: boolean } | null;
  model: string | null;
  /** The account's calibrated prompt ratio for the model (token_calibrations). */
  calibration: number | null;
}

interface OperatorQuoteRow {
  id: string;
  instructions: string;
  max_output_tokens: number;
  output_schema: Record<string, unknown> | null;
  account_id: string | null;
  account_kind: string | null;
  account_base_url: string | null;
  account_shown: boolean | null;
  resolved_model: string | null;
  calibration: number | null;
}

/** Every operator of the workspace with what a quote of a step on it needs (operator > workspace default). */
export async function operatorQuoteInputs(db: Db, workspaceId: string, viewer: AccountViewer): Promise<OperatorQuoteInputs[]> {
  const params: unknown[] = [workspaceId];
  const accountShown = accountVisibleSql('a', viewer, positional(params));
  const rows: OperatorQuoteRow[] = await db.query(
    `SELECT o.id, o.instructions, o.max_output_tokens, o.output_schema, a.id AS account_id, a.kind AS account_kind, a.base_url AS account_base_url, ${accountShown} AS account_shown,
            COALESCE(o.model, a.default_model, w.default_model) AS resolved_model,
            (SELECT c.high_ratio_permille FROM token_calibrations c WHERE c.account_id = a.id AND c.model = COALESCE(o.model, a.default_model, w.default_model)) AS calibration
       FROM operators o JOIN workspaces w ON w.id = o.workspace_id
       LEFT JOIN provider_accounts a ON a.workspace_id = o.workspace_id AND a.id = COALESCE(o.account_id, w.default_account_id)
      WHERE o.workspace_id = $1`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    instructions: r.instructions,
    maxOutputTokens: r.max_output_tokens,
    outputSchema: r.output_schema,
    account: r.account_id && r.account_kind ? { id: r.account_id, kind: r.account_kind, baseUrl: r.account_base_url, shown: r.account_shown === true } : null,
    model: r.resolved_model,
    calibration: r.calibration,
  }));
}

/** The workspace's own prices, in the shape quotes take them. */
export function priceOverrides(db: Db, workspaceId: string): Promise<PriceOverrideRow[]> {
  return db.query(
    `SELECT model, input_micro_usd_per_m AS "inputMicroUsdPerM", cached_input_micro_usd_per_m AS "cachedInputMicroUsdPerM", output_micro_usd_per_m AS "outputMicroUsdPerM"
       FROM price_overrides WHERE workspace_id = $1`,
    [workspaceId],
  );
}

/** The account's calibrated prompt ratio for a model (token_calibrations), as the worker's quote uses it. */
export async function calibrationOf(db: Db, accountId: string, model: string): Promise<number | null> {
  const row = await db.getRepository(TokenCalibration).findOne({ where: { accountId, model }, select: { highRatioPermille: true } });
  return row?.highRatioPermille ?? null;
}
