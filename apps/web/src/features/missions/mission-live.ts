import { type Query, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { getMissionQueryKey } from '../../api/generated/@tanstack/react-query.gen.js';
import type { MissionDetailDto } from '../../api/generated/types.gen.js';
import { type LiveState, type RunChange, runStream, useRunStream } from '../runs/run-stream.js';
import { readAgain } from '../../lib/read-again.js';
import { missionRunIds } from './mission-labels.js';

/*
 * Missions follow the shared run stream (GET /api/v1/runs/stream), like the Runs pages — no polling while it is
 * open. A mission's page refetches the mission whenever an event concerns one of its runs (its copilot runs, its
 * mission run, the step runs) or names the mission. The worker announces a copilot run a second time once its
 * answer is recorded, so refetching on every event of that run brings the answer in.
 */

/** Events come in bursts (a step finishing wakes the next ones): refetch at most this often per query. */
const COALESCE_MS = 120;

/** The API adds the mission to the events of its runs when it knows it (the generated type predates the field). */
type MissionRunChange = RunChange & { missionId?: string | null };

const idOf = (query: Query) => (query.queryKey[0] as { _id?: unknown } | undefined)?._id;

export const isMissionQuery = (query: Query) => idOf(query) === 'getMission' || idOf(query) === 'listMissions';

function concerns(mission: MissionDetailDto | undefined, missionId: string, change: MissionRunChange): boolean {
  if (change.missionId === missionId) return true;
  return !!mission && missionRunIds(mission).has(change.id);
}

/** The events that may change the list: anything of a mission (its copilot runs too: the list shows "updated"). */
function concernsSomeMission(change: MissionRunChange): boolean {
  return !!change.missionId || change.kind === 'mission';
}

/**
 * Keeps the stream open while the page is shown and refetches what an event changed. `ready` turns true once
 * the stream is open (or after a short wait): pages load only then, so no event falls between the first read and
 * the first event; every mission query read before the stream (re)opened is refetched when it does.
 */
export function useMissionLive(missionId: string | null): { state: LiveState; ready: boolean } {
  const qc = useQueryClient();
  const live = useRunStream();

  useEffect(() => {
    const timers = new Map<string, number>();
    const refetch = (hash: string, run: () => void) => {
      if (timers.has(hash)) return;
      timers.set(
        hash,
        window.setTimeout(() => {
          timers.delete(hash);
          run();
        }, COALESCE_MS),
      );
    };
    const offChange = runStream.onChange((change: MissionRunChange) => {
      if (missionId) {
        const key = getMissionQueryKey({ path: { missionId } });
        if (concerns(qc.getQueryData<MissionDetailDto>(key), missionId, change)) {
          // Cancels a read in flight (it may predate the change) and reads again.
          refetch('detail', () => void readAgain(qc, { queryKey: key, exact: true }));
        }
      } else if (concernsSomeMission(change)) {
        refetch('list', () => void readAgain(qc, { predicate: (q) => idOf(q) === 'listMissions' }));
      }
    });
    const offOpen = runStream.onOpen((openedAt) => {
      void readAgain(qc, { predicate: (q) => isMissionQuery(q) && (q.state.fetchStatus === 'fetching' || (q.state.dataUpdatedAt > 0 && q.state.dataUpdatedAt < openedAt)) });
    });
    return () => {
      offChange();
      offOpen();
      timers.forEach((t) => window.clearTimeout(t));
    };
  }, [qc, missionId]);

  return live;
}
