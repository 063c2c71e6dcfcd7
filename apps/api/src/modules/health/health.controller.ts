import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { checkMasterKeys, type Envelope } from '@vaultrun/vault-core';
import type { DataSource } from 'typeorm';
import { REDIS } from '../../common/redis.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { Public } from '../auth/decorators.js';
import { ENVELOPE } from '../vault/vault.tokens.js';

export class HealthDto {
  @ApiProperty({ example: 'ok' }) status!: string;
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'] }) status!: 'ready' | 'not_ready';
  @ApiProperty({
    example: { postgres: 'ok', redis: 'ok', masterKey: 'ok' },
    type: 'object',
    additionalProperties: { type: 'string' },
    description: '"ok", or what is wrong (masterKey: the database holds secrets under a master key version this process lacks, or a key does not match)',
  })
  checks!: Record<string, string>;
}

const CHECK_TIMEOUT_MS = 2000;

async function check(fn: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message.slice(0, 200) : 'failed';
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('health')
  @Public()
  @ApiOperation({ operationId: 'health', summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: HealthDto })
  health(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ operationId: 'ready', summary: 'Readiness: Postgres and Redis answer, and this process holds every master key the stored secrets need' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessDto> {
    const [postgres, redis, masterKey] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      check(() => this.redis.ping()),
      check(() => checkMasterKeys(this.db, this.envelope, this.config.keyRing)),
    ]);
    const checks = { postgres, redis, masterKey };
    const ok = Object.values(checks).every((v) => v === 'ok');
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not_ready', checks };
  }
}
