import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PriceOverride } from '@vaultrun/db';
import { type ModelPrice, OPENAI_PRICE_TABLE, PRICE_TABLE_SOURCE, SHIPPED_PRICE_TABLES } from '@vaultrun/providers';
import { NotFound } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import type { PriceOverrideDto, PricesDto, SetPriceOverrideDto, ShippedModelPriceDto, ShippedPriceTableDto, UpdatePriceOverrideDto } from './prices.dto.js';

const TABLE_MODELS = Object.entries(OPENAI_PRICE_TABLE.models).map(([model, p]) => ({
  model,
  inputMicroUsdPerM: p.input,
  cachedInputMicroUsdPerM: p.cachedInput,
  outputMicroUsdPerM: p.output,
}));

const shippedModelPrice = (model: string, p: ModelPrice): ShippedModelPriceDto => ({
  model,
  inputMicroUsdPerM: p.input,
  cachedInputMicroUsdPerM: p.cachedInput,
  outputMicroUsdPerM: p.output,
  cacheWriteMicroUsdPerM: p.cacheWrite ?? null,
  longContext: p.longContext
    ? { aboveInputTokens: p.longContext.aboveInputTokens, inputMicroUsdPerM: p.longContext.input, cachedInputMicroUsdPerM: p.longContext.cachedInput, outputMicroUsdPerM: p.longContext.output }
    : null,
});

const SHIPPED_TABLES: ShippedPriceTableDto[] = SHIPPED_PRICE_TABLES.map((t) => ({
  id: t.id,
  title: t.title,
  source: t.source,
  asOf: t.asOf,
  models: Object.entries(t.models).map(([model, p]) => shippedModelPrice(model, p)),
}));

type Amounts = Pick<PriceOverrideDto, 'inputMicroUsdPerM' | 'cachedInputMicroUsdPerM' | 'outputMicroUsdPerM'>;
const amountsOf = (o: PriceOverride): Amounts => ({
  inputMicroUsdPerM: Number(o.inputMicroUsdPerM),
  cachedInputMicroUsdPerM: Number(o.cachedInputMicroUsdPerM),
  outputMicroUsdPerM: Number(o.outputMicroUsdPerM),
});

@Injectable()
export class PricesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async prices(workspaceId: string): Promise<PricesDto> {
    const overrides = await this.db.getRepository(PriceOverride).find({ where: { workspaceId }, order: { model: 'ASC' } });
    return { table: { ...PRICE_TABLE_SOURCE, models: TABLE_MODELS }, tables: SHIPPED_TABLES, overrides: overrides.map(toDto) };
  }

  /** Creates the workspace's override for a model, or replaces it (one per model). */
  async set(ctx: RequestContext, input: SetPriceOverrideDto): Promise<{ override: PriceOverrideDto; created: boolean }> {
    const amounts: Amounts = {
      inputMicroUsdPerM: input.inputMicroUsdPerM,
      cachedInputMicroUsdPerM: input.cachedInputMicroUsdPerM ?? input.inputMicroUsdPerM,
      outputMicroUsdPerM: input.outputMicroUsdPerM,
    };
    return this.db.transaction(async (m) => {
      const previous = await m.getRepository(PriceOverride).findOne({ where: { workspaceId: ctx.workspaceId, model: input.model }, lock: { mode: 'pessimistic_write' } });
      // ON CONFLICT: two first-time sets of the same model at once end as one row, never a unique violation.
      const rows: { id: string; inserted: boolean }[] = await m.query(
        `INSERT INTO price_overrides (workspace_id, model, input_micro_usd_per_m, cached_input_micro_usd_per_m, output_micro_usd_per_m)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (workspace_id, model) DO UPDATE SET input_micro_usd_per_m = EXCLUDED.input_micro_usd_per_m,
           cached_input_micro_usd_per_m = EXCLUDED.cached_input_micro_usd_per_m, output_micro_usd_per_m = EXCLUDED.output_micro_usd_per_m, updated_at = now()
         RETURNING id, (xmax = 0) AS inserted`,
        [ctx.workspaceId, input.model, amounts.inputMicroUsdPerM, amounts.cachedInputMicroUsdPerM, amounts.outputMicroUsdPerM],
      );
      const { id, inserted } = rows[0]!;
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: inserted ? 'price_override.create' : 'price_override.update',
          targetType: 'price_override',
          targetId: id,
          metadata: { model: input.model, ...amounts, ...(previous ? { previous: amountsOf(previous) } : {}) },
        },
        m,
      );
      return { override: toDto(await m.getRepository(PriceOverride).findOneByOrFail({ id })), created: inserted };
    });
  }

  async update(ctx: RequestContext, overrideId: string, input: UpdatePriceOverrideDto): Promise<PriceOverrideDto> {
    return this.db.transaction(async (m) => {
      const o = await m.getRepository(PriceOverride).findOne({ where: { id: overrideId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!o) throw new NotFound('Price override');
      const previous = amountsOf(o);
      const next: Amounts = { ...previous };
      for (const k of ['inputMicroUsdPerM', 'cachedInputMicroUsdPerM', 'outputMicroUsdPerM'] as const) if (input[k] !== undefined) next[k] = input[k];
      const changed = (Object.keys(next) as (keyof Amounts)[]).filter((k) => next[k] !== previous[k]);
      if (!changed.length) return toDto(o);
      const saved = await m.getRepository(PriceOverride).save(
        Object.assign(o, {
          inputMicroUsdPerM: String(next.inputMicroUsdPerM),
          cachedInputMicroUsdPerM: String(next.cachedInputMicroUsdPerM),
          outputMicroUsdPerM: String(next.outputMicroUsdPerM),
        }),
      );
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'price_override.update',
          targetType: 'price_override',
          targetId: o.id,
          metadata: { model: o.model, ...Object.fromEntries(changed.map((k) => [k, { from: previous[k], to: next[k] }])) },
        },
        m,
      );
      return toDto(saved);
    });
  }

  async remove(ctx: RequestContext, overrideId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const o = await m.getRepository(PriceOverride).findOne({ where: { id: overrideId, workspaceId: ctx.workspaceId } });
      if (!o) throw new NotFound('Price override');
      await m.getRepository(PriceOverride).delete({ id: o.id });
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'price_override.delete', targetType: 'price_override', targetId: o.id, metadata: { model: o.model, ...amountsOf(o) } },
        m,
      );
    });
  }
}

function toDto(o: PriceOverride): PriceOverrideDto {
  return { id: o.id, model: o.model, ...amountsOf(o), createdAt: o.createdAt.toISOString(), updatedAt: o.updatedAt.toISOString() };
}
