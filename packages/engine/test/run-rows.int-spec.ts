/**
 * The run store's row mappings (packages/engine/src/runs/run-rows.ts) against a real Postgres: a raw row maps to
 * exactly what TypeORM itself loads for the entity, whether it came as columns or as `to_jsonb`, and the executor's
 * load reads the run, its account and its pricing inputs in one statement.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource, ProviderAccount, Run } from '@vaultrun/db';
import { type RunJson, type RunRow, runFromJson, runFromRow } from '@vaultrun/engine';
import type { DataSource } from 'typeorm';
import { scratchDatabase } from '../../../test/support/scratch-db.js';
import { loadRunForExecution } from '../src/runs/run-rows.js';

describe('run rows (Postgres)', () => {
  let db: DataSource;
  let drop: () => Promise<void>;
  let ws: string;
  let account: string;

  beforeAll(async () => {
    const scratch = await scratchDatabase();
    drop = scratch.drop;
    db = createDataSource({ url: scratch.url, poolSize: 2 });
    await db.initialize();
    [{ id: ws }] = await db.query(`INSERT INTO workspaces (name) VALUES ('rows') RETURNING id`);
    [{ id: account }] = await db.query(
      `INSERT INTO provider_accounts (workspace_id, name, kind, status, last_error_code, base_url, max_concurrency, requests_per_minute, provider_limits, mock_settings)
       VALUES ($1, 'Mock', 'mock', 'rate_limited', 'rate_limited', NULL, 3, 60, '{"requests":null,"tokens":null,"observedAt":"2026-01-02T03:04:05.000Z"}', '{"latencyMs":5}') RETURNING id`,
      [ws],
    );
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  /** A finished run with every kind of column set: text, jsonb, real, int, bigint, timestamptz. */
  async function finishedRun(accountId: string | null = account): Promise<string> {
    const [{ id }] = await db.query(
      `INSERT INTO runs (workspace_id, kind, started_by_type, account_id, model, instructions, input, temperature, max_output_tokens, output_schema, output, output_json,
                         status, status_reason, attempts, input_tokens, output_tokens, cached_input_tokens, provider_calls, provider_request_id, queued_at, started_at,
                         provider_started_at, first_byte_at, finished_at, cost_micro_usd, cost_label, estimate_micro_usd, cost_cap_micro_usd, prompt_tokens_held,
                         overage_micro_usd, history, provider_latency_ms, lease_expires_at)
       VALUES ($1, 'operator', 'system', $2, 'mock-fast', 'Be brief', 'hi', 0.25, 50, '{"type":"object"}', '{"a":1}', '{"a":1}',
               'succeeded', NULL, 1, 12, 7, 2, 1, 'req_1', now() - interval '3 seconds', now() - interval '2 seconds',
               now() - interval '1.5 seconds', now() - interval '1.234567 seconds', now(), 9007199254740000, 'estimated', 1200, 5000, 30,
               NULL, '[{"role":"user","content":"before"}]', 321, now() + interval '1 minute')
       RETURNING id`,
      [ws, accountId],
    );
    return id as string;
  }

  it('maps a `runs` row to exactly what TypeORM loads for the entity, every column included', async () => {
    const id = await finishedRun();
    const [row]: RunRow[] = await db.query(`SELECT * FROM runs WHERE id = $1`, [id]);
    const run = runFromRow(row!);
    const loaded = await db.getRepository(Run).findOneByOrFail({ id });
    expect(run).toEqual({ ...loaded });
    expect(Object.keys(run).sort()).toEqual(db.getMetadata(Run).columns.map((c) => c.propertyName).sort());
    // bigint stays a string (exact), as TypeORM gives it.
    expect(run.costMicroUsd).toBe('9007199254740000');
  });

  it('maps a run read as JSON (`to_jsonb`) to the same entity', async () => {
    const id = await finishedRun();
    const [{ json }]: { json: RunJson }[] = await db.query(`SELECT to_jsonb(r) AS json FROM runs r WHERE id = $1`, [id]);
    const [row]: RunRow[] = await db.query(`SELECT * FROM runs WHERE id = $1`, [id]);
    expect(runFromJson(json)).toEqual(runFromRow(row!));
  });

  it('loads a run for execution with its account, price overrides, cost-sync set-up and calibration in one statement', async () => {
    const id = await finishedRun();
    await db.query(`INSERT INTO price_overrides (workspace_id, model, input_micro_usd_per_m, cached_input_micro_usd_per_m, output_micro_usd_per_m) VALUES ($1, 'mock-fast', 100, 50, 200)`, [ws]);
    await db.query(`INSERT INTO token_calibrations (account_id, model, workspace_id, ratios_permille, high_ratio_permille, samples) VALUES ($1, 'mock-fast', $2, '{1100}', 1100, 1)`, [account, ws]);
    await db.query(
      `INSERT INTO provider_secrets (workspace_id, account_id, purpose, dek_version, ciphertext, hint, fingerprint, key_shape) VALUES ($1, $2, 'admin_key', 0, 'x', 'x', 'x', 'admin')`,
      [ws, account],
    );
    const loaded = await loadRunForExecution(db, id);
    const entity = await db.getRepository(ProviderAccount).findOneByOrFail({ id: account });
    expect(loaded).toEqual({
      run: { ...(await db.getRepository(Run).findOneByOrFail({ id })) },
      account: {
        id: entity.id,
        workspaceId: entity.workspaceId,
        name: entity.name,
        kind: entity.kind,
        status: entity.status,
        lastErrorCode: entity.lastErrorCode,
        providerLimits: entity.providerLimits,
        maxConcurrency: entity.maxConcurrency,
        requestsPerMinute: entity.requestsPerMinute,
        tokensPerMinute: entity.tokensPerMinute,
        dekVersion: entity.dekVersion,
        baseUrl: entity.baseUrl,
        apiVersion: entity.apiVersion,
        mockSettings: entity.mockSettings,
        keyAccount: null,
      },
      priceOverrides: [{ model: 'mock-fast', inputMicroUsdPerM: 100, cachedInputMicroUsdPerM: 50, outputMicroUsdPerM: 200 }],
      costSync: true,
      calibration: 1100,
      suspension: null,
    });
    // A suspended workspace's run loads with the suspension, so the worker blocks it instead of calling the provider.
    await db.query(`UPDATE workspaces SET suspended_at = now(), suspended_reason = 'unpaid invoice' WHERE id = $1`, [ws]);
    expect((await loadRunForExecution(db, id))?.suspension).toEqual({ reason: 'unpaid invoice' });
    expect(loaded?.account).toMatchObject({ status: 'rate_limited', providerLimits: { observedAt: '2026-01-02T03:04:05.000Z' }, mockSettings: { latencyMs: 5 } });
  });

  it("loads a managed connector's run with its managed account's key place, endpoint, status and prices (docs/managed.md)", async () => {
    const [{ id: instance }] = await db.query(`INSERT INTO workspaces (name, is_instance) VALUES ('instance', true) RETURNING id`);
    const [{ id: team }] = await db.query(`INSERT INTO workspaces (name) VALUES ('team') RETURNING id`);
    const [{ id: managed }] = await db.query(
      `INSERT INTO provider_accounts (workspace_id, name, kind, status, base_url, dek_version, max_concurrency) VALUES ($1, 'Managed', 'openai', 'active', 'https://api.example.test/v1', 7, 50) RETURNING id`,
      [instance],
    );
    await db.query(`INSERT INTO managed_accounts (account_id, offer, share_max_concurrency) VALUES ($1, 'all', 2)`, [managed]);
    const [{ id: connector }] = await db.query(`SELECT vaultrun_connect_workspace($1, $2) AS id`, [managed, team]);
    await db.query(`UPDATE provider_accounts SET status = 'invalid_key' WHERE id = $1`, [managed]);
    await db.query(
      `INSERT INTO price_overrides (workspace_id, model, input_micro_usd_per_m, cached_input_micro_usd_per_m, output_micro_usd_per_m) VALUES ($1, 'gpt-4o-mini', 1, 1, 1), ($2, 'gpt-4o-mini', 0, 0, 0)`,
      [instance, team],
    );
    await db.query(`UPDATE instance_settings SET price_multiplier_permille = 1500`);
    const [{ id, paid_with, price_multiplier_permille }] = await db.query(
      `INSERT INTO runs (workspace_id, kind, started_by_type, account_id, model, input, max_output_tokens, queued_at) VALUES ($1, 'operator', 'system', $2, 'gpt-4o-mini', 'hi', 10, now())
       RETURNING id, paid_with, price_multiplier_permille`,
      [team, connector],
    );
    await db.query(`UPDATE instance_settings SET price_multiplier_permille = 1000`);
    expect([paid_with, price_multiplier_permille]).toEqual(['credits', 1500]);
    const loaded = await loadRunForExecution(db, id);
    expect(loaded?.run).toMatchObject({ paidWith: 'credits', priceMultiplierPermille: 1500 });
    // The connector's own limits (the share); the managed account's key place, endpoint, key version and status.
    expect(loaded?.account).toMatchObject({ id: connector, workspaceId: team, maxConcurrency: 2, baseUrl: 'https://api.example.test/v1', dekVersion: 7, status: 'invalid_key', keyAccount: { id: managed, workspaceId: instance } });
    // Priced by the instance's overrides, never the workspace's; no cost sync for managed usage.
    expect([loaded?.priceOverrides, loaded?.costSync]).toEqual([[{ model: 'gpt-4o-mini', inputMicroUsdPerM: 1, cachedInputMicroUsdPerM: 1, outputMicroUsdPerM: 1 }], false]);
  });

  it('loads a run whose account is gone with no account, and no run at all as null', async () => {
    const [{ id: other }] = await db.query(`INSERT INTO workspaces (name) VALUES ('bare') RETURNING id`);
    const [{ id: gone }] = await db.query(`INSERT INTO provider_accounts (workspace_id, name, kind) VALUES ($1, 'Gone', 'mock') RETURNING id`, [other]);
    const [{ id }] = await db.query(
      `INSERT INTO runs (workspace_id, kind, started_by_type, account_id, model, input, max_output_tokens, queued_at) VALUES ($1, 'operator', 'system', $2, 'mock-fast', 'hi', 10, now()) RETURNING id`,
      [other, gone],
    );
    await db.query(`DELETE FROM provider_accounts WHERE id = $1`, [gone]);
    expect(await loadRunForExecution(db, id)).toMatchObject({ run: { id, status: 'queued' }, account: null, priceOverrides: null, costSync: false, calibration: null });
    expect(await loadRunForExecution(db, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});
