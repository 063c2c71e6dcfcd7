import type { RunDto } from '../../api/generated/types.gen.js';
import type { BadgeTone } from '../../lib/ui.js';

export type RunStatus = RunDto['status'];
export type RunKind = RunDto['kind'];

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled', 'blocked'];

const STATUS: Record<RunStatus, { label: string; tone: BadgeTone; help: string }> = {
  queued: { label: 'Queued', tone: 'grey', help: 'Accepted; waiting for a worker to pick it up' },
  waiting: { label: 'Waiting', tone: 'amber', help: 'Held for account capacity or a provider cooldown; it tries again by itself' },
  running: { label: 'Running', tone: 'blue', help: 'A worker is calling the provider' },
  succeeded: { label: 'Succeeded', tone: 'green', help: 'Finished with an output' },
  failed: { label: 'Failed', tone: 'red', help: 'Finished with an error' },
  cancelled: { label: 'Cancelled', tone: 'grey', help: 'Stopped by a person or a token' },
  blocked: { label: 'Blocked', tone: 'red', help: 'Refused by a budget before the provider was called' },
};

export const KIND_LABELS: Record<RunKind, string> = {
  operator: 'Operator',
  copilot: 'Copilot',
  mission: 'Mission',
  comparison: 'Comparison',
  gateway: 'Gateway',
};

export function runStatusLabel(status: RunStatus): string {
  return STATUS[status]?.label ?? status;
}

export function runStatusTone(status: RunStatus): BadgeTone {
  return STATUS[status]?.tone ?? 'grey';
}

export function runStatusHelp(status: RunStatus): string {
  return STATUS[status]?.help ?? '';
}

const FINAL = new Set<string>(['succeeded', 'failed', 'cancelled', 'blocked']);

export function isFinal(status: string): boolean {
  return FINAL.has(status);
}

/** What a timeline event type means, in a word or two. */
export const EVENT_LABELS: Record<string, string> = {
  queued: 'Queued',
  running: 'Started',
  waiting: 'Waiting',
  retrying: 'Retrying',
  released: 'Handed back',
  recovered: 'Recovered',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  blocked: 'Blocked',
  max_output_reduced: 'Shrunk to fit',
};

export function eventTone(type: string): BadgeTone {
  if (type === 'succeeded') return 'green';
  if (type === 'failed' || type === 'blocked') return 'red';
  if (type === 'waiting' || type === 'retrying' || type === 'released' || type === 'recovered' || type === 'max_output_reduced') return 'amber';
  if (type === 'running') return 'blue';
  return 'grey';
}

/** Total tokens the provider reported, or null when it reported none. */
export function totalTokens(usage: RunDto['usage']): number | null {
  return usage ? usage.inputTokens + usage.outputTokens : null;
}
