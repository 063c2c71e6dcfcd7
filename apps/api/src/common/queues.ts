import { Queue } from 'bullmq';
import type { AppConfig } from '../config.js';

/**
 * A BullMQ queue the API adds jobs to. When Redis is unreachable its `error` events need no handling of their own:
 * `add()` rejects where it is called (the run stays accepted in Postgres for the reconciler) and /ready reports
 * Redis. The listener keeps Node from treating each of them as an unhandled error.
 */
export function apiQueue(name: string, config: AppConfig, connectionName: string): Queue {
  const queue = new Queue(name, { connection: { url: config.redisUrl, connectionName }, prefix: config.bullPrefix });
  queue.on('error', () => undefined);
  return queue;
}
