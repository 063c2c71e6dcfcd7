import { getQueueToken, OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { QUEUES } from '@vaultrun/engine';
import type { Queue } from 'bullmq';

/*
 * BullMQ reports what goes wrong around a job rather than in it (a lock it could not renew, a job whose keys vanished
 * with a Redis flush, a dropped connection) as `error` events on its workers and queues; with no listener, Node
 * treats each as an unhandled error. Here each becomes one warning log line, message only: Postgres and the
 * reconciler recover the run, so nothing else is needed.
 */

const warn = (logger: Logger, error: Error) => logger.warn(`queue worker error: ${error.message}`);

/** The base of every processor: its worker's `error` events are logged. */
export abstract class LoggedWorkerHost extends WorkerHost {
  private readonly queueLogger = new Logger(this.constructor.name);

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    warn(this.queueLogger, error);
  }
}

/** The worker's queue handles (job schedulers, the queue-depth gauge, wake-ups) log their `error` events too. */
@Injectable()
export class QueueErrorLogging implements OnModuleInit {
  private readonly logger = new Logger('Queues');

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of Object.values(QUEUES)) {
      this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }).on('error', (error) => warn(this.logger, error));
    }
  }
}
