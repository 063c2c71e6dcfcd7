import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { Conflict, DomainError, NotFound, TooManyRequests, ValidationFailed } from '@vaultrun/vault-core';
import { QueryFailedError } from 'typeorm';
import { toProblem } from './problem-details.js';

describe('toProblem', () => {
  it('maps domain errors by kind, keeping the stable code and field errors', () => {
    expect(toProblem(ValidationFailed.field('email', 'must be an email address')).problem).toMatchObject({
      status: 400,
      code: 'validation_failed',
      type: 'urn:vaultrun:problem:validation_failed',
      errors: [{ field: 'email', message: 'must be an email address' }],
    });
    expect(toProblem(new NotFound('API token')).problem).toMatchObject({ status: 404, detail: 'API token not found.' });
    expect(toProblem(new Conflict('last_owner', 'x')).problem).toMatchObject({ status: 409, code: 'last_owner' });
    expect(toProblem(new DomainError('budget_exhausted', 'budget_exceeded', 'x')).problem.status).toBe(402);
  });

  it('never lets extension members overwrite the standard ones', () => {
    const out = toProblem(new Conflict('x', 'msg', { status: 'cancelled', type: 'evil', code: 'other', detail: 'no' }));
    expect(out.problem).toMatchObject({ status: 409, type: 'urn:vaultrun:problem:x', code: 'x', detail: 'msg' });
  });

  it('turns retryAfterSeconds into a Retry-After header', () => {
    const out = toProblem(new TooManyRequests('slow down', 12.2));
    expect(out.problem).toMatchObject({ status: 429, retryAfterSeconds: 12.2 });
    expect(out.headers['retry-after']).toBe('13');
  });

  it('maps Fastify errors wrapped by Nest to client errors', () => {
    const wrapped = new HttpException('x', 400, { cause: Object.assign(new Error('bad'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }) });
    expect(toProblem(wrapped).problem).toMatchObject({ status: 400, code: 'invalid_json' });
    const big = new HttpException('x', 413, { cause: Object.assign(new Error('big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }) });
    expect(toProblem(big).problem).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(toProblem(new NotFoundException('Cannot GET /x')).problem).toMatchObject({ status: 404, code: 'not_found', detail: 'Cannot GET /x' });
    expect(toProblem(new BadRequestException()).problem.status).toBe(400);
  });

  it('hides everything about unexpected errors behind an error id', () => {
    const out = toProblem(new Error('connection to 10.0.0.5 refused, password=hunter2'));
    expect(out.unexpected).toBe(true);
    expect(out.problem.status).toBe(500);
    expect(out.problem.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(out.problem)).not.toMatch(/hunter2|10\.0\.0\.5/);
  });

  it('answers 503 database_unavailable with Retry-After, not a 500, while Postgres cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' });
    const shutdown = new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    const starting = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
    for (const error of [refused, shutdown, starting, new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect')]) {
      const out = toProblem(error);
      expect(out.problem).toMatchObject({ status: 503, code: 'database_unavailable', retryAfterSeconds: 5 });
      expect(out.headers['retry-after']).toBe('5');
      expect(out.unexpected).toBe(false);
      expect(out.degraded).toBe(true);
    }
    // A query that failed for another reason is still a bug.
    expect(toProblem(new QueryFailedError('SELECT x', [], Object.assign(new Error('column "x" does not exist'), { code: '42703' }))).problem.status).toBe(500);
  });
});
