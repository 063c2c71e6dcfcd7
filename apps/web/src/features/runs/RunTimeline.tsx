import type { RunDetailDto, RunEventDto } from '../../api/generated/types.gen.js';
import { formatDuration, formatTimePrecise, msBetween } from '../../lib/format.js';
import { EVENT_LABELS, eventTone } from './run-labels.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A value of an event's data, short enough for a chip (instants in local time). */
function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return ISO_INSTANT.test(value) ? formatTimePrecise(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const DATA_LABELS: Record<string, string> = { nextAttemptAt: 'next try', attempt: 'attempt', worker: 'worker', code: 'code' };

function EventData({ data }: { data: RunEventDto['data'] }) {
  const entries = Object.entries(data ?? {});
  if (!entries.length) return null;
  return (
    <dl className="event-data">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{DATA_LABELS[k] ?? k}</dt>
          <dd className="mono" title={typeof v === 'string' ? v : undefined}>
            {show(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The run's event timeline, oldest first, with each event's time and offset from the first. */
export function RunTimeline({ run }: { run: RunDetailDto }) {
  const start = run.events[0]?.at ?? run.timings.queuedAt;
  return (
    <section className="card" aria-labelledby="run-timeline-heading">
      <div className="section-heading">
        <h2 id="run-timeline-heading">Timeline</h2>
        <span className="muted small">
          {run.events.length} event{run.events.length === 1 ? '' : 's'}
        </span>
      </div>
      <ol className="timeline" data-testid="run-timeline">
        {run.events.map((event, i) => (
          <li key={`${event.at}-${i}`} className={`timeline-event timeline-event-${eventTone(event.type)}`} data-testid="run-event" data-type={event.type}>
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-when">
              <time className="mono" dateTime={event.at}>
                {formatTimePrecise(event.at)}
              </time>
              <span className="timeline-offset">{i === 0 ? 'start' : `+${formatDuration(msBetween(start, event.at))}`}</span>
            </div>
            <div className="timeline-body">
              <span className={`badge badge-${eventTone(event.type)} timeline-type`}>{EVENT_LABELS[event.type] ?? event.type}</span>
              {event.message ? <span className="timeline-message">{event.message}</span> : null}
              <EventData data={event.data} />
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
