import type { RunDetailDto } from '../../api/generated/types.gen.js';
import { formatDuration, formatTimePrecise, msBetween } from '../../lib/format.js';
import { isFinal } from './run-labels.js';

interface Segment {
  key: string;
  label: string;
  from: string | null;
  to: string | null;
}

/**
 * Queued → started → provider call → first byte → finished, as moments and as a bar whose segments show
 * where the time went (in the queue, preparing, waiting for the provider, receiving the answer).
 */
export function RunTimings({ run, now }: { run: RunDetailDto; now: number }) {
  const t = run.timings;
  const final = isFinal(run.status);
  const end = t.finishedAt ?? (final ? null : new Date(now).toISOString());
  const steps = [
    { key: 'queued', label: 'Queued', at: t.queuedAt },
    { key: 'started', label: 'Started', at: t.startedAt },
    { key: 'provider', label: 'Provider call', at: t.providerStartedAt },
    { key: 'first-byte', label: 'First byte', at: t.firstByteAt },
    { key: 'finished', label: 'Finished', at: t.finishedAt },
  ];
  // A waiting run's last call ended when it started to wait (the latest waiting/retrying event).
  const waitingSince = run.status === 'waiting' ? ([...run.events].reverse().find((e) => e.type === 'waiting' || e.type === 'retrying')?.at ?? null) : null;
  // Each segment ends where the next known moment begins (a run cancelled in the queue never started).
  const segments: Segment[] = [
    { key: 'queue', label: 'In the queue', from: t.queuedAt, to: t.startedAt ?? t.finishedAt ?? (final ? null : end) },
    { key: 'prepare', label: 'Preparing and retries', from: t.startedAt, to: t.providerStartedAt ?? t.finishedAt ?? end },
    { key: 'provider', label: 'Waiting for the provider', from: t.providerStartedAt, to: t.firstByteAt ?? waitingSince ?? t.finishedAt ?? end },
    { key: 'receive', label: 'Receiving the answer', from: t.firstByteAt, to: t.finishedAt ?? end },
    { key: 'wait', label: 'Waiting to try again', from: waitingSince, to: waitingSince ? end : null },
  ];
  const durations = segments.map((s) => ({ ...s, ms: s.from && s.to ? msBetween(s.from, s.to, now) : null })).filter((s) => s.ms !== null) as (Segment & { ms: number })[];
  const total = msBetween(t.queuedAt, end, now);
  let previous: string | null = null;

  return (
    <section className="card run-timings" aria-labelledby="run-timings-heading" data-testid="run-timings">
      <div className="section-heading section-heading-spread">
        <h2 id="run-timings-heading">Timings</h2>
        <p className="timing-totals">
          <span>
            Total <strong>{formatDuration(total)}</strong>
            {final ? '' : ' so far'}
          </span>
          <span>
            Provider latency <strong data-testid="run-provider-latency">{t.providerLatencyMs === null ? '—' : formatDuration(t.providerLatencyMs)}</strong>
          </span>
        </p>
      </div>
      <ol className="timing-steps">
        {steps.map((step) => {
          const delta = step.at && previous ? msBetween(previous, step.at) : null;
          if (step.at) previous = step.at;
          return (
            <li key={step.key} className={step.at ? 'timing-step timing-step-done' : 'timing-step'}>
              <span className="timing-label">{step.label}</span>
              <span className="timing-at mono">{formatTimePrecise(step.at)}</span>
              <span className="timing-delta">{delta !== null ? `+${formatDuration(delta)}` : '\u00a0'}</span>
            </li>
          );
        })}
      </ol>
      {total && durations.length ? (
        <>
          <div className="timing-bar" aria-hidden="true">
            {durations.map((s) => (
              <span key={s.key} className={`timing-seg timing-seg-${s.key}`} style={{ flexGrow: Math.max(s.ms, total / 200) }} title={`${s.label}: ${formatDuration(s.ms)}`} />
            ))}
          </div>
          <ul className="timing-legend">
            {durations.map((s) => (
              <li key={s.key}>
                <span className={`legend-swatch timing-seg-${s.key}`} aria-hidden="true" />
                {s.label} <strong>{formatDuration(s.ms)}</strong>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
