import { redisOptions } from '@vaultrun/engine';
import { Queue } from 'bullmq';
import type { AppConfig } from '../config.js';

/**
 * A BullMQ queue the API adds jobs to. When Redis is unreachable its `error` events need no handling of their own:
 * `add()` rejects where it is called (the run stays accepted in Postgres for the reconciler) and /ready reports
 * Redis. The listener keeps Node from treating each of them as an unhandled error.
 *
 * No offline queue: while the connection is down a command fails at once instead of waiting (ioredis would hold it
 * through its reconnection attempts, ~20 s with BullMQ's settings), so a request never hangs on Redis.
 */
export function apiQueue(name: string, config: AppConfig, connectionName: string): Queue {
  const queue = new Queue(name, { connection: redisOptions(config.redis, connectionName, { enableOfflineQueue: false }), prefix: config.bullPrefix });
  queue.on('error', () => undefined);
  return queue;
}
