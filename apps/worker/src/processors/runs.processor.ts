import { Processor } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Inject, type Type } from '@nestjs/common';
import { type JobPayloads, QUEUES, RunExecutor } from '@vaultrun/engine';
import { DelayedError, type Job } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { WORKER_CONFIG, type WorkerConfig } from '../config.js';
import { HandlesJobs } from '../job-handlers.js';
import { LoggedWorkerHost } from '../queue-errors.js';
import { RUN_EXECUTOR } from '../runs.tokens.js';

/**
 * Thin: hands each job to the executor. A run that must wait (no capacity, cooldown, retry backoff) goes back
 * to BullMQ's delayed set and frees this worker slot for another account's run.
 */
@HandlesJobs('execute-run')
export class RunsProcessor extends LoggedWorkerHost implements BeforeApplicationShutdown {
  constructor(
    @Inject(RUN_EXECUTOR) private readonly executor: RunExecutor,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly logger: PinoLogger,
  ) {
    super();
    this.logger.setContext(RunsProcessor.name);
  }

  async process(job: Job<JobPayloads['execute-run']>, token?: string): Promise<unknown> {
    if (this.draining) {
      // Shutting down: a fetch already in progress can still deliver a job; give it straight back, untouched.
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const result = await this.executor.execute(job.data.runId);
    if (result.outcome === 'waiting') {
      await job.moveToDelayed(Math.max(result.at, Date.now()), token);
      throw new DelayedError();
    }
    return result;
  }

  private draining: Promise<void> | null = null;

  /**
   * SIGTERM, step one (before Nest closes anything): take no new runs, let in-flight provider calls finish for
   * the grace period, then abort the rest and hand their runs back to the queue for another worker.
   */
  drain(): Promise<void> {
    return (this.draining ??= (async () => {
      await this.worker.pause(true);
      const deadline = Date.now() + this.config.shutdownGraceMs;
      while (this.executor.activeRuns > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (this.executor.activeRuns > 0) {
        this.logger.warn({ active: this.executor.activeRuns }, 'grace period over: handing in-flight runs back to the queue');
        this.executor.abortAll('shutdown');
        const handBack = Date.now() + 5_000;
        while (this.executor.activeRuns > 0 && Date.now() < handBack) await new Promise((r) => setTimeout(r, 20));
      }
    })());
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }
}

/**
 * The runs processor with this worker's options: BullMQ's lock and stall check follow the run lease, so a killed
 * worker's job is picked up again as soon as its lease ends. @nestjs/bullmq reads a processor's worker options from
 * its class, so each worker module gets a class of its own: two workers in one process (tests) never share options,
 * and nothing is changed on a class others use. Provided under `RunsProcessor`.
 */
export function runsProcessorFor(config: WorkerConfig): Type<RunsProcessor> {
  @Processor(QUEUES.runs, {
    concurrency: config.runsConcurrency,
    lockDuration: config.runLeaseMs,
    stalledInterval: config.runLeaseMs,
    maxStalledCount: 100,
  })
  class ConfiguredRunsProcessor extends RunsProcessor {}
  return ConfiguredRunsProcessor;
}
