import { Loading } from '../../lib/ui.js';

/** Shown while the first route's loader (the session check) runs. */
export function FullPageLoading() {
  return (
    <div className="center-page">
      <Loading label="Loading Vaultrun…" />
    </div>
  );
}
