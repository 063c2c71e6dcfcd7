import { Processor } from '@nestjs/bullmq';
import { Inject } from '@nestjs/common';
import { type JobName, type JobPayloads, MissionEngine, QUEUES } from '@vaultrun/engine';
import { DelayedError, type Job } from 'bullmq';
import { HandlesJobs } from '../job-handlers.js';
import { LoggedWorkerHost } from '../queue-errors.js';
import { MISSION_ENGINE } from '../runs.tokens.js';

/** How long a flow parent waits before looking again when some step has not ended yet (e.g. after a Redis flush). */
const RECHECK_MS = 5_000;

/**
 * The flow parent of a mission run: BullMQ hands it over once every step's job is done, and the engine ends the
 * mission run (a compare-and-set, so exactly once, whoever gets there first — this job or the reconciler).
 */
@Processor(QUEUES.missions, { concurrency: 10 })
@HandlesJobs('finish-mission')
export class MissionsProcessor extends LoggedWorkerHost {
  constructor(@Inject(MISSION_ENGINE) private readonly missions: MissionEngine) {
    super();
  }

  async process(job: Job<JobPayloads[JobName], unknown, JobName>, token?: string): Promise<unknown> {
    if (job.name !== 'finish-mission') throw new Error(`missions queue received unknown job "${String(job.name)}"`);
    const { runId } = job.data as JobPayloads['finish-mission'];
    const result = await this.missions.finish(runId);
    if (result === 'pending') {
      await job.moveToDelayed(Date.now() + RECHECK_MS, token);
      throw new DelayedError();
    }
    return { result };
  }
}
