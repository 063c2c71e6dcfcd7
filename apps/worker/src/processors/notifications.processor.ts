import { Processor } from '@nestjs/bullmq';
import { Inject, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { alertDelivery, markAlertDelivered, signWebhook } from '@vaultrun/money';
import { Envelope } from '@vaultrun/vault-core';
import { type JobName, type JobPayloads, QUEUES } from '@vaultrun/engine';
import { urlRefusal } from '@vaultrun/providers';
import { type Job, UnrecoverableError } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { type Agent, fetch } from 'undici';
import { WORKER_CONFIG, type WorkerConfig } from '../config.js';
import { HandlesJobs } from '../job-handlers.js';
import { LoggedWorkerHost } from '../queue-errors.js';
import { ENVELOPE } from '../vault.providers.js';
import { privateAddressRefusal, webhookAgent } from '../webhook-http.js';

/** A receiver gets this long to answer; BullMQ retries (with backoff) whatever did not answer 2xx. */
const WEBHOOK_TIMEOUT_MS = 10_000;

@Processor(QUEUES.notifications, { concurrency: 5 })
@HandlesJobs('budget-alert')
export class NotificationsProcessor extends LoggedWorkerHost implements OnModuleDestroy {
  private readonly http: Agent;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly logger: PinoLogger,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(ENVELOPE) private readonly envelope: Envelope,
  ) {
    super();
    this.logger.setContext(NotificationsProcessor.name);
    this.http = webhookAgent(config.webhookAllowPrivate);
  }

  async onModuleDestroy(): Promise<void> {
    await this.http.close();
  }

  async process(job: Job<JobPayloads[JobName], unknown, JobName>): Promise<unknown> {
    if (job.name !== 'budget-alert') throw new Error(`notifications queue received unknown job "${String(job.name)}"`);
    const { budgetId, periodStart, kind = 'soft_threshold' } = job.data as JobPayloads['budget-alert'];
    // The signing secret is unwrapped here, for this delivery only.
    const delivery = await alertDelivery(this.db, this.envelope, budgetId, periodStart, kind);
    if (!delivery) return { delivered: false };
    // The URL is logged without its query string (it may carry a receiver's token).
    const target = new URL(delivery.url);
    const where = `${target.origin}${target.pathname}`;
    // Not retried: the receiver's address, not its answer, is at fault.
    const refuse = (reason: string) => {
      this.logger.warn({ budgetId, url: where }, `budget alert webhook not sent: ${reason}`);
      return new UnrecoverableError(`webhook not sent: ${reason}`);
    };
    // Checked before anything is built (the agent checks every connection again, names once resolved).
    const refusal = urlRefusal(target, { allowPrivate: this.config.webhookAllowPrivate });
    if (refusal) throw refuse(refusal);
    const response = await fetch(delivery.url, {
      dispatcher: this.http,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Vaultrun-Webhooks/1',
        'vaultrun-event': delivery.type,
        'vaultrun-delivery': delivery.deliveryId,
        'vaultrun-signature': signWebhook(delivery.secret, delivery.body, Math.floor(Date.now() / 1000)),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    }).catch((err: unknown) => {
      const refusal = privateAddressRefusal(err);
      throw refusal ? refuse(refusal.message) : err;
    });
    // Only the status matters; a body that fails to close (the connection broke after the headers) changes nothing.
    await response.body?.cancel().catch((err: unknown) => this.logger.warn({ budgetId, url: where, err }, 'could not discard the webhook response body'));
    if (!response.ok) {
      this.logger.warn({ budgetId, status: response.status, url: where, attempt: job.attemptsMade + 1 }, 'budget alert webhook refused the delivery');
      throw new Error(`webhook answered HTTP ${response.status}`);
    }
    await markAlertDelivered(this.db, budgetId, periodStart, kind, delivery.raisedAt);
    this.logger.info({ budgetId, kind, url: where }, 'delivered budget alert');
    return { delivered: true };
  }
}
