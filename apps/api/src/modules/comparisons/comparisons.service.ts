import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Comparison, Operator, ProviderAccount } from '@vaultrun/db';
import { MOCK_DEFAULT_MODELS } from '@vaultrun/providers';
import { Conflict, DomainError, Forbidden, NotFound, ValidationFailed } from '@vaultrun/vault-core';
import { type RunJson, runFromJson } from '@vaultrun/engine';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { assertSameRequest, requestHashOf } from '../../common/idempotency.js';
import { decodeCursor, nextCursorOf } from '../../common/pagination.js';
import { assertWorkspaceActive } from '../../common/suspension.js';
import type { RequestContext } from '../auth/principal.js';
import { RunAdmissionService } from '../runs/run-admission.service.js';
import { RunCancellationService } from '../runs/run-cancellation.service.js';
import { assertRunnable, ProviderAccountsService } from '../vault/provider-accounts.service.js';
import { accountViewer, type Bind, positional, runVisibleSql } from '../vault/visibility.js';
import { compareSides, toComparisonSide } from './comparison-sides.js';
import type { ComparisonDto, ComparisonPageDto, ComparisonSideDto, CreateComparisonDto, ListComparisonsQueryDto } from './comparisons.dto.js';

type Side = 'mock' | 'live';

/**
 * Mock-to-live comparisons: the same operator input run twice — once on a mock account, once on a live one —
 * through RunAdmissionService.create, so both sides pass the same admission, budget pre-check, queue, per-account limits,
 * budget holds and cost labels as any run. The comparison row only links the two runs; everything shown is read
 * from them.
 */
@Injectable()
export class ComparisonsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly admission: RunAdmissionService,
    private readonly cancellation: RunCancellationService,
    private readonly accounts: ProviderAccountsService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(ComparisonsService.name);
  }

  /**
   * Checks everything that can be checked before anything is queued (operator, both accounts and their state),
   * then starts the mock run and the live run. When the live run is refused after the mock run was queued (a
   * budget or cost cap, an unpriced or missing model), the mock run is cancelled and the refusal is answered,
   * naming the live side: a comparison is both runs or nothing.
   */
  async create(ctx: RequestContext, input: CreateComparisonDto, idempotencyKey?: string): Promise<{ comparison: ComparisonDto; replayed: boolean }> {
    const requestHash = requestHashOf([input.operatorId, input.input, input.liveAccountId, input.mockAccountId ?? null, input.liveModel ?? null]);
    if (idempotencyKey) {
      const existing = await this.db.getRepository(Comparison).findOne({ select: { id: true, requestHash: true }, where: { workspaceId: ctx.workspaceId, idempotencyKey } });
      if (existing) {
        assertSameRequest(existing.requestHash, requestHash, 'comparison', { comparisonId: existing.id });
        return { comparison: await this.get(ctx, existing.id), replayed: true };
      }
    }
    if (!ctx.principal.permissions.has('vault:use')) throw new Forbidden('Starting a run needs the vault:use permission.', 'forbidden', { permission: 'vault:use' });
    await assertWorkspaceActive(this.db, ctx.workspaceId);
    const operator = await this.db.getRepository(Operator).findOne({ where: { id: input.operatorId, workspaceId: ctx.workspaceId } });
    if (!operator) throw ValidationFailed.field('operatorId', 'is not an operator of this workspace');

    const live = await this.usableAccount(ctx, input.liveAccountId);
    if (!live) throw ValidationFailed.field('liveAccountId', 'is not a provider account of this workspace that you may use');
    let mock: ProviderAccount | null;
    if (input.mockAccountId) {
      mock = await this.usableAccount(ctx, input.mockAccountId);
      if (!mock || mock.kind !== 'mock') throw ValidationFailed.field('mockAccountId', 'is not a mock provider account of this workspace that you may use');
    } else {
      mock = await this.defaultMockAccount(ctx);
      if (!mock) throw new DomainError('no_account', 'unprocessable', 'There is no mock provider account you may use in this workspace: add one in the Vault (kind "mock").');
    }
    // Normally an OpenAI or OpenAI-compatible account; another mock account (e.g. one that reports its cost) may
    // stand in for it, so the comparison can be tried without a key — but never the mock side's own account.
    if (live.id === mock.id) throw ValidationFailed.field('liveAccountId', 'is the account the mock side runs on: choose a live account (or another mock account as a stand-in)');
    assertRunnable(mock);
    assertRunnable(live);

    const text = input.input;
    // With a key, each side is started with a key derived from it: a concurrent request with the same key gets the
    // same two runs (POST /runs idempotency), so a lost race below leaves no run behind.
    const sideKey = (side: Side) => (idempotencyKey ? `comparison-${requestHashOf([idempotencyKey]).slice(0, 32)}-${side}` : undefined);
    const mockRun = await this.startSide(ctx, 'mock', { operatorId: operator.id, input: text, accountId: mock.id, model: mockModelOf(mock, operator) }, sideKey('mock'));
    let liveRunId: string;
    try {
      liveRunId = await this.startSide(ctx, 'live', { operatorId: operator.id, input: text, accountId: live.id, model: input.liveModel }, sideKey('live'));
    } catch (err) {
      // The mock run must not stay behind as half a comparison. Cancelling it costs nothing (no real provider);
      // if it already finished (the mock is fast), it stays in the run history, unlinked.
      const cancelled = await this.cancelMockRun(ctx, mockRun);
      // A refused comparison leaves its key unused: a retry with it starts a new mock run.
      if (idempotencyKey) await this.db.query(`UPDATE runs SET idempotency_key = NULL WHERE id = $1 AND workspace_id = $2`, [mockRun, ctx.workspaceId]);
      throw sideError(err, 'live', cancelled ? 'The mock run was cancelled; no comparison was made.' : 'The mock run had already finished; no comparison was made.');
    }
    const inserted = await this.db
      .createQueryBuilder()
      .insert()
      .into(Comparison)
      .values({
        workspaceId: ctx.workspaceId,
        operatorId: operator.id,
        input: text,
        mockRunId: mockRun,
        liveRunId,
        createdByType: ctx.principal.kind,
        createdById: ctx.principal.kind === 'user' ? ctx.principal.userId : ctx.principal.tokenId,
        idempotencyKey: idempotencyKey ?? null,
        requestHash: idempotencyKey ? requestHash : null,
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const raw: { id: string }[] = inserted.raw;
    const id = raw[0]?.id;
    if (id) return { comparison: await this.get(ctx, id), replayed: false };
    // Lost a race with the same key: answer with the comparison that won (it links these same two runs).
    const winner = await this.db.getRepository(Comparison).findOneOrFail({ select: { id: true }, where: { workspaceId: ctx.workspaceId, idempotencyKey } });
    return { comparison: await this.get(ctx, winner.id), replayed: true };
  }

  async list(ctx: RequestContext, q: ListComparisonsQueryDto): Promise<ComparisonPageDto> {
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor);
    const params: unknown[] = [ctx.workspaceId];
    const bind = positional(params);
    let where = `c.workspace_id = $1 AND ${bothRunsVisible(ctx, bind)}`;
    if (cursor) where += ` AND (c.created_at, c.id) < (${bind(cursor.createdAt)}, ${bind(cursor.id)})`;
    const rows: ComparisonRow[] = await this.db.query(`${COMPARISON_SELECT} WHERE ${where} ORDER BY c.created_at DESC, c.id DESC LIMIT ${bind(limit)}`, params);
    const items = rows.map(toComparisonDto);
    return { items, nextCursor: nextCursorOf(rows.map((r) => ({ createdAt: new Date(r.created_at), id: r.id })), limit) };
  }

  /** A comparison is visible when both of its runs are; otherwise it answers as one that does not exist. */
  async get(ctx: RequestContext, comparisonId: string): Promise<ComparisonDto> {
    const params: unknown[] = [ctx.workspaceId, comparisonId];
    const rows: ComparisonRow[] = await this.db.query(`${COMPARISON_SELECT} WHERE c.workspace_id = $1 AND c.id = $2 AND ${bothRunsVisible(ctx, positional(params))}`, params);
    if (!rows[0]) throw new NotFound('Comparison');
    return toComparisonDto(rows[0]);
  }

  /** Cancels the mock run of a comparison that cannot be made; false when it had already ended. */
  private async cancelMockRun(ctx: RequestContext, runId: string): Promise<boolean> {
    try {
      await this.cancellation.cancel(ctx, runId);
      return true;
    } catch (err) {
      if (err instanceof Conflict && err.code === 'run_finished') return false;
      // The caller answers with the live side's refusal either way; this mock run stays in the history, unlinked,
      // and ends like any run (it costs nothing).
      this.logger.warn({ runId, err }, 'could not cancel the mock run of a refused comparison');
      return false;
    }
  }

  /** Starts one side's run (a refusal of the mock side names it; the live side's is named by create). */
  private async startSide(ctx: RequestContext, side: Side, body: { operatorId: string; input: string; accountId: string; model: string | undefined }, idempotencyKey: string | undefined): Promise<string> {
    try {
      const { run } = await this.admission.create(ctx, body, idempotencyKey, 'comparison');
      return run.id;
    } catch (err) {
      throw side === 'mock' ? sideError(err, side, 'Nothing was queued.') : err;
    }
  }

  private async usableAccount(ctx: RequestContext, accountId: string): Promise<ProviderAccount | null> {
    try {
      return await this.accounts.findVisible(ctx, accountId);
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  /** The workspace's oldest enabled mock account the caller may use (the Vault's visibility rule). */
  private defaultMockAccount(ctx: RequestContext): Promise<ProviderAccount | null> {
    return this.accounts
      .visibleQuery(ctx)
      .andWhere(`a.kind = 'mock' AND a.status <> 'disabled'`)
      .orderBy('a.createdAt', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getOne();
  }

}

/** The mock side runs the mock account's default model (the operator's model is usually a live one). */
function mockModelOf(mock: ProviderAccount, operator: Operator): string {
  const models = mock.mockSettings?.models?.length ? mock.mockSettings.models : mock.models.length ? mock.models : [...MOCK_DEFAULT_MODELS];
  if (mock.defaultModel) return mock.defaultModel;
  if (operator.model && models.includes(operator.model)) return operator.model;
  return models[0]!;
}

const SIDE_FIELDS: Record<Side, Record<string, string>> = {
  mock: { accountId: 'mockAccountId' },
  live: { accountId: 'liveAccountId', model: 'liveModel' },
};

/** A refusal from RunAdmissionService.create, saying which side it concerns (and with this endpoint's field names). */
function sideError(err: unknown, side: Side, outcome: string): unknown {
  if (!(err instanceof DomainError)) return err;
  const what = side === 'mock' ? 'The mock run' : 'The live run';
  return new DomainError(err.code, err.kind, `${what} was refused: ${err.message} ${outcome}`, {
    errors: err.errors?.map((e) => ({ ...e, field: SIDE_FIELDS[side][e.field] ?? e.field })),
    details: { ...err.details, side },
    cause: err,
  });
}

/** Both sides' runs of the comparison `c` (aliases m and l of COMPARISON_SELECT) are visible to the caller. */
function bothRunsVisible(ctx: RequestContext, bind: Bind): string {
  const viewer = accountViewer(ctx.principal);
  return `${runVisibleSql('m', viewer, bind)} AND ${runVisibleSql('l', viewer, bind)}`;
}

/** A comparison with both runs (as JSON rows) and their accounts' names (null once an account is deleted). */
const COMPARISON_SELECT = `SELECT c.id, c.operator_id, c.input, c.created_at, o.name AS operator_name,
       to_jsonb(m) AS mock_run, to_jsonb(l) AS live_run,
       am.name AS mock_account_name, am.kind AS mock_account_kind, al.name AS live_account_name, al.kind AS live_account_kind
  FROM comparisons c
  JOIN runs m ON m.id = c.mock_run_id AND m.workspace_id = c.workspace_id
  JOIN runs l ON l.id = c.live_run_id AND l.workspace_id = c.workspace_id
  LEFT JOIN operators o ON o.id = c.operator_id AND o.workspace_id = c.workspace_id
  LEFT JOIN provider_accounts am ON am.id = m.account_id AND am.workspace_id = c.workspace_id
  LEFT JOIN provider_accounts al ON al.id = l.account_id AND al.workspace_id = c.workspace_id`;

interface ComparisonRow {
  id: string;
  operator_id: string | null;
  operator_name: string | null;
  input: string;
  created_at: Date;
  mock_run: RunJson;
  live_run: RunJson;
  mock_account_name: string | null;
  mock_account_kind: ComparisonSideDto['accountKind'];
  live_account_name: string | null;
  live_account_kind: ComparisonSideDto['accountKind'];
}

function toComparisonDto(row: ComparisonRow): ComparisonDto {
  const mockRun = runFromJson(row.mock_run);
  const mock = toComparisonSide({ run: mockRun, accountName: row.mock_account_name, accountKind: row.mock_account_kind });
  const live = toComparisonSide({ run: runFromJson(row.live_run), accountName: row.live_account_name, accountKind: row.live_account_kind });
  return {
    id: row.id,
    operator: { id: row.operator_id, name: row.operator_name },
    input: row.input,
    outputFormat: mockRun.outputSchema ? 'json_schema' : 'text',
    createdAt: new Date(row.created_at).toISOString(),
    mock,
    live,
    differences: compareSides(mock, live),
  };
}
