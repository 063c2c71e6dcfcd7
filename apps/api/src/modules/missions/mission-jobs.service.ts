import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Run } from '@vaultrun/db';
import { type MissionBus, MissionEngine, missionFlow, redisOptions, RUN_JOB_OPTIONS, RunBus, type RunChange, STEP_PARK_MS } from '@vaultrun/engine';
import { FlowProducer, type Queue } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { type Bounded, within } from '../../common/bounded.js';
import { APP_CONFIG, type AppConfig } from '../../config.js';
import { RUN_BUS, RUNS_QUEUE } from '../runs/runs.tokens.js';

/**
 * What missions tell Redis once Postgres holds the work: copilot jobs, plan flows, live updates, cancels. Postgres
 * is the source of truth, so none of it may hold a request: each call waits at most VAULTRUN_ENQUEUE_TIMEOUT_MS and
 * a failure is logged once with what it concerned. The worker's reconcilers make up for what Redis missed: they
 * enqueue queued runs (copilot runs, and plan steps as plain jobs — the gate keeps their order), wake steps and end
 * mission runs (packages/engine runs/reconcile.ts and missions/engine.ts `reconcile`).
 */
@Injectable()
export class MissionJobsService implements OnApplicationShutdown {
  private readonly flows: FlowProducer;
  /** The mission engine as the API uses it (cancel), its Redis calls bounded like the rest. */
  readonly engine: MissionEngine;

  constructor(
    @InjectDataSource() db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNS_QUEUE) private readonly queue: Queue,
    @Inject(RUN_BUS) private readonly bus: RunBus,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(MissionJobsService.name);
    // No offline queue, as for the API's queues (common/queues.ts): while Redis is down `add` fails at once.
    this.flows = new FlowProducer({ connection: redisOptions(config.redis, 'vaultrun-api-flows', { enableOfflineQueue: false }), prefix: config.bullPrefix });
    // Connection errors surface where `add` is called (and in /ready); the listener keeps them from being unhandled.
    this.flows.on('error', () => undefined);
    // Safe to go on without them: Postgres holds the cancel; a worker that missed the message sees it when it next
    // renews the run's lease, a job left behind finds its run final and does nothing, a console reads the mission again.
    const boundedBus: MissionBus = {
      changed: (change) => this.bounded(this.bus.changed(change), 'run change not announced', { runId: change.id }),
      cancel: (runId) => this.bounded(this.bus.cancel(runId), 'cancel not sent to the worker', { runId }),
    };
    this.engine = new MissionEngine({
      db,
      bus: boundedBus,
      jobs: {
        // The API never ends a step (it calls neither the gate nor stepEnded), so it never wakes one.
        wake: async () => undefined,
        remove: async (ids) => {
          for (const id of ids) await this.bounded(this.queue.remove(id), 'job of a cancelled step not removed', { runId: id });
        },
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flows.close();
  }

  /**
   * A copilot run is accepted: tells the consoles, then adds its job, within one deadline. Announce first: a fast
   * worker's "running" must never reach a console before "queued".
   */
  async copilotQueued(run: Run, requestId: string): Promise<void> {
    const deadline = Date.now() + this.config.enqueueTimeoutMs;
    const change = { id: run.id, workspaceId: run.workspaceId, status: 'queued', kind: 'copilot', accountId: run.accountId, missionId: run.missionId };
    const announced = await within(this.config.enqueueTimeoutMs, this.bus.changed(change));
    // Redis did not even take the announcement: adding the job would only wait out the deadline too.
    const added = announced.outcome === 'timed_out' ? announced : await within(deadline - Date.now(), this.queue.add('execute-run', { runId: run.id, requestId }, { ...RUN_JOB_OPTIONS, jobId: run.id }));
    this.logMissed(added, 'copilot run accepted without its job (Redis unavailable); the reconciler will enqueue it', { runId: run.id, missionId: run.missionId });
  }

  /**
   * An approved plan's runs are written: adds the flow (the mission run's `finish-mission` job, a child job per
   * step), then tells the consoles, within one deadline.
   */
  async missionStarted(
    started: { workspaceId: string; missionId: string; missionRunId: string; steps: { runId: string; parked: boolean }[] },
    requestId: string,
  ): Promise<void> {
    const deadline = Date.now() + this.config.enqueueTimeoutMs;
    const { workspaceId, missionId, missionRunId } = started;
    const added = await within(this.config.enqueueTimeoutMs, this.flows.add(missionFlow(missionRunId, started.steps, STEP_PARK_MS, requestId)));
    this.logMissed(added, 'mission run started without its flow (Redis unavailable); the reconcilers will enqueue its steps and end it', { missionRunId, missionId });
    if (added.outcome === 'timed_out') return;
    const changes: Omit<RunChange, 'at'>[] = [
      { id: missionRunId, workspaceId, status: 'running', kind: 'mission', accountId: null, missionId },
      ...started.steps.map((s) => ({ id: s.runId, workspaceId, status: 'queued', kind: 'operator', missionId })),
    ];
    const announced = await within(
      deadline - Date.now(),
      (async () => {
        for (const change of changes) await this.bus.changed(change);
      })(),
    );
    // Consoles that missed it read the mission again on their next poll or reconnect.
    this.logMissed(announced, 'mission run start not announced (Redis unavailable)', { missionRunId, missionId });
  }

  private async bounded(work: Promise<unknown>, what: string, context: Record<string, unknown>): Promise<void> {
    this.logMissed(await within(this.config.enqueueTimeoutMs, work), what, context);
  }

  private logMissed(result: Bounded<unknown>, what: string, context: Record<string, unknown>): void {
    if (result.outcome === 'done') return;
    this.logger.warn({ ...context, outcome: result.outcome, err: result.outcome === 'failed' ? result.error : undefined }, what);
  }
}
