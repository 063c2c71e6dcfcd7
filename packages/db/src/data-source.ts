import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { SnakeNamingStrategy } from './naming-strategy.js';

export interface DatabaseOptions {
  url: string;
  /** Connection pool size per process. */
  poolSize?: number;
  applicationName?: string;
  logging?: boolean;
  /**
   * `session` (default): a direct PostgreSQL or a session-mode pooler; hot-path statements are named prepared
   * statements (sql.ts). `transaction`: PgBouncer in transaction pooling — every statement goes unnamed, since
   * PgBouncer before 1.21 cannot route a named statement to the server connection that prepared it.
   */
  poolMode?: PoolMode;
}

export type PoolMode = 'session' | 'transaction';

export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built into PostgreSQL 13+; never try to CREATE EXTENSION at runtime.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    // The schema only ever changes through committed migrations.
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    // Off by default: query errors surface as exceptions, logged once (as JSON) where they are handled.
    logging: options.logging ? ['error', 'warn', 'migration'] : false,
    poolSize: options.poolSize ?? 10,
    // A database that does not answer (down, unreachable host) fails a request within this, instead of the OS's
    // TCP timeout; the API answers 503 database_unavailable. Also bounds the wait for a free pool connection.
    connectTimeoutMS: 10_000,
    applicationName: options.applicationName ?? 'vaultrun',
    // TypeORM hands `extra` to pg's Pool (which ignores keys it does not know); sql.ts reads the pool mode back here.
    extra: { vaultrunPoolMode: options.poolMode ?? 'session' },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
