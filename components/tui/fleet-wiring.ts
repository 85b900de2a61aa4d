import type { FleetClient } from '../../src/client/fleet-client.js';
import type { PaneCompositor } from '../grid/compositor.js';
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
export function wireFleet(fleet: FleetClient, controller: CockpitController, compositor: PaneCompositor, redraw: () => void): FleetWiring {
  const view = () => ({ current: fleet.current, repos: fleet.summary() });
  const publish = () => void controller.dispatch({ kind: 'fleet-changed', fleet: view() });
  const offs = [
    fleet.onSummary(publish),
    ...fleet.members.map((m, i) =>
      m.client.onState((state) => {
        if (i !== fleet.current) return;
        if (state.kind === 'lost') void controller.dispatch({ kind: 'link-lost', message: state.message });
        else if (state.kind === 'up') {
          compositor.rewatch();
          void controller.dispatch({ kind: 'link-back', name: m.name }).then(redraw);
        }
      }),
    ),
  ];
  publish();
  return {
    switchRepo(delta) {
      fleet.switchTo(fleet.current + delta);
      const link = fleet.linkOf(fleet.current);
      void controller.dispatch({ kind: 'repo-shown', fleet: view(), name: fleet.currentMember.name, lost: link.kind === 'lost' ? link.message : null });
      compositor.rewatch();
      void controller.refresh().then(redraw);
    },
    dispose() {
      for (const off of offs) off();
    },
  };
}
