import { SetMetadata } from '@nestjs/common';
import type { JobName } from '@vaultrun/engine';

export const HANDLED_JOBS = 'vaultrun:handled-jobs';

/** Declares which job names a processor handles; checked at boot against the job contract. */
export const HandlesJobs = (...names: JobName[]) => SetMetadata(HANDLED_JOBS, names);
