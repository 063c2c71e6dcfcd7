import { createHash } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { Conflict, ValidationFailed } from '@vaultrun/vault-core';
import type { FastifyRequest } from 'fastify';

/**
 * `Idempotency-Key` on the requests that start paid work (POST /runs, /comparisons, /missions/{id}/messages): the
 * same key in the same scope answers the first request's result (with `idempotent-replayed: true`) instead of
 * starting it again; the same key with another body is a 409.
 */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The request's `Idempotency-Key`, checked: undefined when absent, a 400 naming the header when malformed (or sent twice). */
export const IdempotencyKey = createParamDecorator((_: unknown, host: ExecutionContext): string | undefined => {
  const header = host.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (header !== undefined && (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header))) {
    throw ValidationFailed.field('Idempotency-Key', 'must be 1–200 characters of letters, digits, ".", "_", ":" or "-"');
  }
  return header;
});

/** Documents the header on a route that takes it; `returns` says what a repeated key answers. */
export const ApiIdempotencyKey = (returns: string) => ApiHeader({ name: 'Idempotency-Key', required: false, description: `The same key ${returns} (409 with another body)` });

/** SHA-256 of what defines the request, stored beside the key so a reused key with another body is refused. */
export function requestHashOf(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Throws when a key already used by `stored` comes back with another request. */
export function assertSameRequest(stored: string | null, requestHash: string, what: string, details: Record<string, unknown>): void {
  if (stored !== requestHash) {
    throw new Conflict('idempotency_key_reused', `This Idempotency-Key was already used for a different request. Use a new key for a new ${what}.`, details);
  }
}

/** Postgres' unique_violation on the named index: a concurrent request with the same key won. */
export function isUniqueViolation(err: unknown, index: string): boolean {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && constraint === index;
}
