import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Operator } from '@vaultrun/db';
import { jsonSchemaProblem } from '@vaultrun/providers';
import { Conflict, NotFound, ValidationFailed } from '@vaultrun/vault-core';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { containsPattern, sortOf } from '../../common/list-query.js';
import { microUsd } from '../../common/money.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext } from '../auth/principal.js';
import { ProviderAccountsService } from '../vault/provider-accounts.service.js';
import { positional } from '../vault/visibility.js';
import { type CreateOperatorDto, type ListOperatorsQueryDto, OPERATOR_SORTS, type OperatorDto, type UpdateOperatorDto } from './operators.dto.js';

@Injectable()
export class OperatorsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: ProviderAccountsService,
    private readonly audit: AuditService,
  ) {}

  async list(workspaceId: string): Promise<OperatorDto[]> {
    return (await this.db.getRepository(Operator).find({ where: { workspaceId }, order: { name: 'ASC' } })).map(toDto);
  }

  /** The operators page: search, filters (account, output format, whether its own account can run), sort, a page and the total. */
  async listPage(workspaceId: string, query: ListOperatorsQueryDto): Promise<{ items: OperatorDto[]; total: number }> {
    const params: unknown[] = [workspaceId];
    const bind = positional(params);
    const where = ['o.workspace_id = $1'];
    if (query.q?.trim()) {
      const q = bind(containsPattern(query.q));
      where.push(`(o.name ILIKE ${q} OR o.description ILIKE ${q} OR COALESCE(o.model, '') ILIKE ${q})`);
    }
    if (query.accountId) where.push(`o.account_id = ${bind(query.accountId)}::uuid`);
    if (query.outputFormat) where.push(`o.output_format = ${bind(query.outputFormat)}`);
    // Its own account only: an operator on the workspace default follows whatever that is when it runs.
    const unusable = `(o.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provider_accounts a WHERE a.id = o.account_id AND a.workspace_id = o.workspace_id
                        AND a.status NOT IN ('invalid_key', 'quota_exhausted', 'disabled')))`;
    if (query.health === 'unusable') where.push(unusable);
    if (query.health === 'usable') where.push(`NOT ${unusable}`);
    const filter = where.join(' AND ');
    const countParams = [...params];
    const { column, direction } = sortOf(query.sort, 'name', OPERATOR_SORTS);
    const page = query.limit === undefined ? '' : ` LIMIT ${bind(query.limit)} OFFSET ${bind(query.offset ?? 0)}`;
    const [idRows, [counted]] = await Promise.all([
      this.db.query(`SELECT o.id FROM operators o WHERE ${filter} ORDER BY ${column} ${direction} NULLS LAST, o.id ${direction}${page}`, params) as Promise<{ id: string }[]>,
      this.db.query(`SELECT count(*)::int AS total FROM operators o WHERE ${filter}`, countParams) as Promise<{ total: number }[]>,
    ]);
    const ids = idRows.map((r) => r.id);
    const byId = new Map((ids.length ? await this.db.getRepository(Operator).find({ where: { id: In(ids), workspaceId } }) : []).map((o) => [o.id, o]));
    return { items: ids.flatMap((id) => (byId.has(id) ? [toDto(byId.get(id)!)] : [])), total: counted?.total ?? 0 };
  }

  async get(workspaceId: string, operatorId: string): Promise<OperatorDto> {
    return toDto(await this.find(workspaceId, operatorId));
  }

  async find(workspaceId: string, operatorId: string, m: EntityManager = this.db.manager): Promise<Operator> {
    const op = await m.getRepository(Operator).findOne({ where: { id: operatorId, workspaceId } });
    if (!op) throw new NotFound('Operator');
    return op;
  }

  async create(ctx: RequestContext, input: CreateOperatorDto): Promise<OperatorDto> {
    await this.check(ctx, input, null);
    return this.db.transaction(async (m) => {
      await this.assertNameFree(m, ctx.workspaceId, input.name);
      const op = await m.getRepository(Operator).save({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        description: input.description ?? '',
        instructions: input.instructions ?? '',
        accountId: input.accountId ?? null,
        model: input.model ?? null,
        temperature: input.temperature ?? null,
        maxOutputTokens: input.maxOutputTokens ?? 1024,
        outputFormat: input.outputFormat ?? 'text',
        outputSchema: input.outputFormat === 'json_schema' ? (input.outputSchema ?? null) : null,
        costCapMicroUsd: input.costCapMicroUsd === undefined || input.costCapMicroUsd === null ? null : String(input.costCapMicroUsd),
        createdById: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
      });
      await this.audit.record({ workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'operator.create', targetType: 'operator', targetId: op.id, metadata: { name: op.name } }, m);
      return toDto(op);
    });
  }

  async update(ctx: RequestContext, operatorId: string, input: UpdateOperatorDto): Promise<OperatorDto> {
    return this.db.transaction(async (m) => {
      const op = await this.find(ctx.workspaceId, operatorId, m);
      await this.check(ctx, input, op);
      if (input.name !== undefined && input.name.trim() !== op.name) await this.assertNameFree(m, ctx.workspaceId, input.name);
      const next: Partial<Operator> = {};
      for (const k of ['description', 'instructions', 'accountId', 'model', 'temperature', 'maxOutputTokens', 'outputFormat', 'outputSchema'] as const) {
        if (input[k] !== undefined) (next as Record<string, unknown>)[k] = input[k];
      }
      if (input.costCapMicroUsd !== undefined) next.costCapMicroUsd = input.costCapMicroUsd === null ? null : String(input.costCapMicroUsd);
      if (input.name !== undefined) next.name = input.name.trim();
      if ((next.outputFormat ?? op.outputFormat) === 'text') next.outputSchema = null;
      // Before and after of the short settings (instructions and schemas are too long for an audit row: named only).
      const diff: Record<string, { from: unknown; to: unknown }> = {};
      for (const k of ['name', 'accountId', 'model', 'temperature', 'maxOutputTokens', 'outputFormat', 'costCapMicroUsd'] as const) {
        if (next[k] !== undefined && next[k] !== op[k]) diff[k] = { from: op[k], to: next[k] };
      }
      const changed = (Object.keys(next) as (keyof Operator)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(op[k]));
      const saved = await m.getRepository(Operator).save(Object.assign(op, next));
      await this.audit.record(
        { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'operator.update', targetType: 'operator', targetId: op.id, metadata: { name: saved.name, changed, diff } },
        m,
      );
      return toDto(saved);
    });
  }

  async remove(ctx: RequestContext, operatorId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const op = await this.find(ctx.workspaceId, operatorId, m);
      await m.getRepository(Operator).delete({ id: op.id });
      await this.audit.record({ workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'operator.delete', targetType: 'operator', targetId: op.id, metadata: { name: op.name } }, m);
    });
  }

  /** The schema must compile and the account (if named) must be one the caller may use. */
  private async check(ctx: RequestContext, input: UpdateOperatorDto, current: Operator | null): Promise<void> {
    const format = input.outputFormat ?? current?.outputFormat ?? 'text';
    const schema = input.outputSchema !== undefined ? input.outputSchema : current?.outputSchema;
    if (format === 'json_schema') {
      if (!schema) throw ValidationFailed.field('outputSchema', 'is required when outputFormat is json_schema');
      const problem = jsonSchemaProblem(schema);
      if (problem) throw ValidationFailed.field('outputSchema', problem);
    }
    if (input.accountId) {
      try {
        await this.accounts.findVisible(ctx, input.accountId);
      } catch (err) {
        // Only "no such account (for you)" is the caller's mistake; anything else (the database) is not a 400.
        if (!(err instanceof NotFound)) throw err;
        throw ValidationFailed.field('accountId', 'is not a provider account of this workspace that you may use');
      }
    }
  }

  private async assertNameFree(m: EntityManager, workspaceId: string, name: string): Promise<void> {
    if (await m.getRepository(Operator).exists({ where: { workspaceId, name: name.trim() } })) {
      throw new Conflict('operator_name_taken', `There is already an operator named "${name.trim()}".`);
    }
  }
}

export function toDto(o: Operator): OperatorDto {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    instructions: o.instructions,
    accountId: o.accountId,
    model: o.model,
    temperature: o.temperature,
    maxOutputTokens: o.maxOutputTokens,
    outputFormat: o.outputFormat,
    outputSchema: o.outputSchema,
    costCapMicroUsd: microUsd(o.costCapMicroUsd),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}
