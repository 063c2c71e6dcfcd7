import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiToken, preparedQuery, type TokenBilling, type TokenScope } from '@vaultrun/db';
import { API_TOKEN_PREFIX, generateApiToken, NotFound, permissionsForScopes, sha256Hex, Unauthenticated } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, type RequestContext, type TokenPrincipal } from '../auth/principal.js';
import { containsPattern, sortOf } from '../../common/list-query.js';
import { type ApiTokenDto, type CreatedTokenDto, type CreateTokenDto, type ListTokensQueryDto, TOKEN_SORTS } from './tokens.dto.js';

/** `last_used_at` is refreshed at most once per window per token, not on every request. */
const LAST_USED_WINDOW_MS = 60_000;
/**
 * A resolved token is remembered this long by this process (programs send many requests a second). Revoking
 * forgets it here at once; another API process notices within this window.
 */
const PRINCIPAL_CACHE_MS = 2_000;

interface TokenRow {
  id: string;
  workspace_id: string;
  name: string;
  scopes: TokenScope[];
  allowed_models: string[] | null;
  billing: TokenBilling;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

@Injectable()
export class TokensService {
  private readonly recent = new Map<string, { principal: TokenPrincipal; expires: number }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Search (name, prefix), status and scope filters, sort, a page and the total. */
  async list(workspaceId: string, query: ListTokensQueryDto): Promise<{ items: ApiTokenDto[]; total: number }> {
    const qb = this.db.getRepository(ApiToken).createQueryBuilder('t').where('t.workspaceId = :workspaceId', { workspaceId });
    if (query.q?.trim()) qb.andWhere('(t.name ILIKE :q OR t.prefix ILIKE :q)', { q: containsPattern(query.q) });
    if (query.status === 'revoked') qb.andWhere('t.revokedAt IS NOT NULL');
    if (query.status === 'expired') qb.andWhere('t.revokedAt IS NULL AND t.expiresAt <= now()');
    if (query.status === 'active') qb.andWhere('t.revokedAt IS NULL AND (t.expiresAt IS NULL OR t.expiresAt > now())');
    if (query.scope) qb.andWhere(':scope = ANY(t.scopes)', { scope: query.scope });
    const { column, direction } = sortOf(query.sort, '-created', TOKEN_SORTS);
    qb.orderBy(column, direction, 'NULLS LAST').addOrderBy('t.id', direction);
    if (query.limit !== undefined) qb.offset(query.offset ?? 0).limit(query.limit);
    const [rows, total] = await qb.getManyAndCount();
    return { items: rows.map(toDto), total };
  }

  async create(ctx: RequestContext, input: CreateTokenDto): Promise<CreatedTokenDto> {
    const { token, prefix, hash } = generateApiToken();
    return this.db.transaction(async (m) => {
      const row = await m.getRepository(ApiToken).save({
        workspaceId: ctx.workspaceId,
        name: input.name.trim(),
        prefix,
        tokenHash: hash,
        scopes: input.scopes,
        allowedModels: input.allowedModels ?? null,
        billing: input.billing ?? 'any',
        createdById: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      });
      await this.audit.record(
        {
          workspaceId: ctx.workspaceId,
          actor: actorOf(ctx),
          action: 'token.create',
          targetType: 'api_token',
          targetId: row.id,
          metadata: { name: row.name, prefix, scopes: row.scopes, allowedModels: row.allowedModels, billing: row.billing, expiresAt: row.expiresAt?.toISOString() ?? null },
        },
        m,
      );
      return { ...toDto(row), token };
    });
  }

  async revoke(ctx: RequestContext, tokenId: string): Promise<ApiTokenDto> {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(ApiToken);
      const row = await repo.findOne({ where: { id: tokenId, workspaceId: ctx.workspaceId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw new NotFound('API token');
      for (const [hash, hit] of this.recent) if (hit.principal.tokenId === row.id) this.recent.delete(hash);
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        await repo.save(row);
        await this.audit.record(
          { workspaceId: ctx.workspaceId, actor: actorOf(ctx), action: 'token.revoke', targetType: 'api_token', targetId: row.id, metadata: { name: row.name, prefix: row.prefix } },
          m,
        );
      }
      return toDto(row);
    });
  }

  /** Bearer authentication: one indexed lookup by hash. */
  async resolveBearer(token: string): Promise<TokenPrincipal> {
    if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) {
      throw new Unauthenticated('That is not a Vaultrun API token (they start with "vr_").', 'invalid_token');
    }
    const hash = sha256Hex(token);
    const hit = this.recent.get(hash);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const { rows } = await preparedQuery<TokenRow>(
      this.db,
      `SELECT id, workspace_id, name, scopes, allowed_models, billing, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) throw new Unauthenticated('Unknown API token.', 'invalid_token');
    if (row.revoked_at) throw new Unauthenticated('This API token has been revoked.', 'token_revoked');
    if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) {
      throw new Unauthenticated('This API token has expired.', 'token_expired');
    }
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_WINDOW_MS) {
      await this.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [row.id]);
    }
    const principal: TokenPrincipal = {
      kind: 'token',
      tokenId: row.id,
      tokenName: row.name,
      workspaceId: row.workspace_id,
      scopes: row.scopes,
      permissions: permissionsForScopes(row.scopes),
      allowedModels: row.allowed_models,
      billing: row.billing,
    };
    const expires = Math.min(Date.now() + PRINCIPAL_CACHE_MS, row.expires_at ? new Date(row.expires_at).getTime() : Infinity);
    if (this.recent.size > 10_000) this.recent.clear();
    this.recent.set(hash, { principal, expires });
    return principal;
  }
}

function toDto(t: ApiToken): ApiTokenDto {
  const status = t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt.getTime() <= Date.now() ? 'expired' : 'active';
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    allowedModels: t.allowedModels ?? null,
    billing: t.billing,
    status,
    createdById: t.createdById,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}
