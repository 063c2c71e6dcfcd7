import { Injectable } from '@nestjs/common';
import type { ExecutorObserver } from '@vaultrun/engine';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus metrics (served at GET /metrics on the health port). No labels carry secrets or inputs. */
@Injectable()
export class WorkerMetrics {
  readonly registry = new Registry();

  private readonly providerLatency = new Histogram({
    name: 'vaultrun_provider_request_duration_seconds',
    help: 'Provider call duration by provider kind and outcome (ok or the error code)',
    labelNames: ['kind', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly providerErrors = new Counter({ name: 'vaultrun_provider_errors_total', help: 'Provider errors by taxonomy code', labelNames: ['code'], registers: [this.registry] });
  private readonly accountWaits = new Counter({
    name: 'vaultrun_account_waits_total',
    help: 'Runs sent to wait for account capacity, by reason (concurrency, rpm, tpm, cooldown)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly runsFinished = new Counter({ name: 'vaultrun_runs_finished_total', help: 'Runs finished by this worker, by final status', labelNames: ['status'], registers: [this.registry] });
  private readonly leasesLost = new Counter({
    name: 'vaultrun_run_leases_lost_total',
    help: 'Provider calls aborted because this worker lost the run lease: taken_over (the run is elsewhere) or unconfirmed (no renewal confirmed in time)',
    labelNames: ['why'],
    registers: [this.registry],
  });
  private readonly runsBlocked = new Counter({
    name: 'vaultrun_runs_blocked_total',
    help: 'Runs refused by a budget or a per-run cost cap, by reason (budget_exhausted, unpriced_model, cost_cap_exceeded)',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly costSyncDays = new Counter({
    name: 'vaultrun_cost_sync_days_total',
    help: 'Account-days checked by provider cost sync, by outcome (matched, drift, not_published)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly costSyncFailures = new Counter({
    name: 'vaultrun_cost_sync_failures_total',
    help: 'Accounts whose provider costs could not be read, by error code (e.g. invalid_api_key, provider_unavailable)',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vaultrun_worker_' });
  }

  costSyncChecked(outcome: 'matched' | 'drift' | 'not_published', days = 1): void {
    if (days > 0) this.costSyncDays.inc({ outcome }, days);
  }

  costSyncFailed(code: string): void {
    this.costSyncFailures.inc({ code });
  }

  executorObserver(): ExecutorObserver {
    return {
      providerCall: (kind, seconds, outcome) => this.providerLatency.observe({ kind, outcome }, seconds),
      providerError: (code) => this.providerErrors.inc({ code }),
      accountWait: (reason) => this.accountWaits.inc({ reason }),
      runFinished: (status) => this.runsFinished.inc({ status }),
      runBlocked: (code) => this.runsBlocked.inc({ code }),
      leaseLost: (why) => this.leasesLost.inc({ why }),
    };
  }
}
