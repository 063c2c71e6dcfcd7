import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OpenAI-compatible gateway (docs/gateway.md): model routes, the token's model allow-list, the workspace's body
 * retention, the call details on `runs`, and `vaultrun_gateway_begin` — a gateway call's record and its budget holds
 * in one statement.
 */
export class Gateway1797700000000 implements MigrationInterface {
  name = 'Gateway1797700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway_routes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workspace_id" uuid NOT NULL, "name" text NOT NULL, "description" text, "targets" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "gateway_routes_targets_check" CHECK (jsonb_typeof("targets") = 'array' AND jsonb_array_length("targets") BETWEEN 1 AND 8), CONSTRAINT "PK_471fd30508ec0d691e24597fde0" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "gateway_routes_workspace_name_key" ON "gateway_routes"  ("workspace_id", "name") `);
    await q.query(`ALTER TABLE "workspaces" ADD "gateway_retention" text NOT NULL DEFAULT 'metadata_only'`);
    await q.query(`ALTER TABLE "api_tokens" ADD "allowed_models" text array`);
    await q.query(`ALTER TABLE "runs" ADD "gateway" jsonb`);
    await q.query(`ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_gateway_retention_check" CHECK ("gateway_retention" IN ('keep_bodies', 'metadata_only'))`);
    await q.query(`ALTER TABLE "gateway_routes" ADD CONSTRAINT "FK_ed56f389243932a8ebad7d17dbb" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await createGatewayFunctions(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ${GATEWAY_FUNCTIONS.join(', ')}`);
    await q.query(`ALTER TABLE "gateway_routes" DROP CONSTRAINT "FK_ed56f389243932a8ebad7d17dbb"`);
    await q.query(`ALTER TABLE "workspaces" DROP CONSTRAINT "workspaces_gateway_retention_check"`);
    await q.query(`ALTER TABLE "runs" DROP COLUMN "gateway"`);
    await q.query(`ALTER TABLE "api_tokens" DROP COLUMN "allowed_models"`);
    await q.query(`ALTER TABLE "workspaces" DROP COLUMN "gateway_retention"`);
    await q.query(`DROP INDEX "public"."gateway_routes_workspace_name_key"`);
    await q.query(`DROP TABLE "gateway_routes"`);
  }
}

export const GATEWAY_FUNCTIONS = ['vaultrun_gateway_begin(jsonb, bigint[], timestamptz, bigint[], bigint[], integer[])'];

async function createGatewayFunctions(q: QueryRunner): Promise<void> {
  // A gateway call's first round trip, for a batch of calls: each one's record (a `running` run of kind `gateway`,
  // leased by the process making the call, with its timeline event) and then its budget holds — the very
  // `vaultrun_reserve` runs use, so the checks, locks (budget-id order), shrink-to-fit and overage pauses are the same.
  // A call that falls back to its route's next target comes again with `previous_closing` set: its earlier attempt's
  // holds close first (released when the provider answered with an error, kept when the outcome is unknown), then the
  // record moves to the new account and model as attempt n + 1, and the new holds are taken. A fallback whose record
  // is no longer this process's (lost lease) is left out of the reservation (and of the answer).
  await q.query(`CREATE FUNCTION vaultrun_gateway_begin(p_calls jsonb, p_amounts bigint[], p_expires timestamptz, p_prompt_cost_e6 bigint[], p_output_prices bigint[], p_max_output integer[])
    RETURNS TABLE (run_id uuid, ok boolean, budgets integer, attempt integer, amount_micro_usd bigint, max_output_tokens integer,
                   budget_id uuid, budget_name text, cap_micro_usd bigint, spent_micro_usd bigint, held_micro_usd bigint,
                   exhausted boolean, overage_micro_usd bigint, shrink_floor integer)
    LANGUAGE plpgsql AS $$
    DECLARE
      c record; i integer := 0;
      ids uuid[] := '{}'; amounts bigint[] := '{}'; prompt_costs bigint[] := '{}'; output_prices bigint[] := '{}'; max_outputs integer[] := '{}';
    BEGIN
      FOR c IN SELECT * FROM jsonb_to_recordset(p_calls) AS x(
                 id uuid, workspace_id uuid, token_id uuid, account_id uuid, model text, input text, max_output_tokens integer, gateway jsonb,
                 request_id text, queued_at timestamptz, lease_owner text, lease_seconds double precision, estimate_micro_usd bigint,
                 prompt_tokens_held integer, message text, event_data jsonb, previous_closing text) LOOP
        i := i + 1;
        IF c.previous_closing IS NULL THEN
          INSERT INTO runs (id, workspace_id, kind, started_by_type, started_by_id, account_id, model, input, max_output_tokens, status, max_attempts,
                            request_id, queued_at, started_at, provider_started_at, provider_calls, lease_owner, lease_expires_at, estimate_micro_usd,
                            prompt_tokens_held, gateway)
          VALUES (c.id, c.workspace_id, 'gateway', 'token', c.token_id, c.account_id, c.model, c.input, c.max_output_tokens, 'running', 1,
                  c.request_id, c.queued_at, c.queued_at, now(), 1, c.lease_owner, now() + make_interval(secs => c.lease_seconds), c.estimate_micro_usd,
                  c.prompt_tokens_held, c.gateway);
        ELSE
          IF c.previous_closing = 'release' THEN PERFORM vaultrun_release(c.id, NULL); ELSE PERFORM vaultrun_settle(c.id, NULL, NULL); END IF;
          UPDATE runs r SET account_id = c.account_id, model = c.model, max_output_tokens = c.max_output_tokens, requested_max_output_tokens = NULL,
                 provider_calls = r.provider_calls + 1, provider_started_at = now(), estimate_micro_usd = c.estimate_micro_usd,
                 prompt_tokens_held = c.prompt_tokens_held, gateway = c.gateway, lease_expires_at = now() + make_interval(secs => c.lease_seconds),
                 updated_at = now()
           WHERE r.id = c.id AND r.status = 'running' AND r.lease_owner = c.lease_owner;
          CONTINUE WHEN NOT FOUND;
        END IF;
        INSERT INTO run_events (run_id, workspace_id, type, message, data) VALUES (c.id, c.workspace_id, 'running', c.message, c.event_data);
        ids := ids || c.id; amounts := amounts || p_amounts[i]; prompt_costs := prompt_costs || p_prompt_cost_e6[i];
        output_prices := output_prices || p_output_prices[i]; max_outputs := max_outputs || p_max_output[i];
      END LOOP;
      RETURN QUERY SELECT * FROM vaultrun_reserve(ids, amounts, p_expires, prompt_costs, output_prices, max_outputs);
    END $$`);
}
