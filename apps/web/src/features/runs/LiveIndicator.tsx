import type { LiveState } from './run-stream.js';

const TEXT: Record<LiveState, { label: string; title: string }> = {
  open: { label: 'Live', title: 'Connected: run changes appear as they happen' },
  connecting: { label: 'Connecting…', title: 'Reconnecting to the live run stream' },
  closed: { label: 'Offline', title: 'Not connected to the live run stream; retrying. Reload the page if it does not come back.' },
};

/** The live run stream's connection state; `data-state` = open | connecting | closed. */
export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <span className={`live live-${state}`} data-testid="runs-live" data-state={state} title={TEXT[state].title} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {TEXT[state].label}
    </span>
  );
}
