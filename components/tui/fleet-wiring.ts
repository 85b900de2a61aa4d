import type { FleetClient } from '../../src/client/fleet-client.js';
import type { PaneCompositor } from '../grid/compositor.js';
import { flash, initialState } from '../model/cockpit-state.js';
import type { CockpitStore } from '../model/cockpit-store.js';
import type { CockpitController } from '../model/controller.js';

export interface FleetWiring {
  switchRepo(delta: 1 | -1): void;
  dispose(): void;
}

/**
 * Connects a fleet of repositories to the cockpit: the header's counts per repository, the
 * repository switch, and what a lost link means on screen — said in the status line while it
 * retries, and everything read and every pane watched again once it is back.
 */
export function wireFleet(fleet: FleetClient, store: CockpitStore, controller: CockpitController, compositor: PaneCompositor, redraw: () => void): FleetWiring {
  const publish = () => store.update((s) => ({ ...s, fleet: { current: fleet.current, repos: fleet.summary() } }));
  const reload = () => {
    compositor.rewatch();
    void controller.refresh().then(redraw);
  };
  const offs = [
    fleet.onSummary(publish),
    ...fleet.members.map((m, i) =>
      m.client.onState((state) => {
        if (i !== fleet.current) return;
        if (state.kind === 'lost') store.update((s) => flash({ ...s, connected: false }, state.message, 'error'));
        else if (state.kind === 'up') {
          store.update((s) => flash(s, `Connection to ${m.name} is back.`, 'notice'));
          reload();
        }
      }),
    ),
  ];
  publish();
  return {
    switchRepo(delta) {
      controller.forgetPendingReads();
      fleet.switchTo(fleet.current + delta);
      const now = fleet.currentMember;
      const link = fleet.linkOf(fleet.current);
      // Nothing of the previous repository may stay on screen: its tasks, selections, dialogs.
      store.update((s) =>
        flash(
          { ...initialState(s.size), view: s.view, fleet: { current: fleet.current, repos: fleet.summary() } },
          link.kind === 'lost' ? link.message : `Showing ${now.name}.`,
          link.kind === 'lost' ? 'error' : 'info',
        ),
      );
      reload();
    },
    dispose() {
      for (const off of offs) off();
    },
  };
}
