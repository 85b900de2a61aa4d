import { createContext, useContext, useSyncExternalStore } from 'react';
import type { CockpitState } from './model/cockpit-state.js';
import type { CockpitStore } from './model/cockpit-store.js';
import type { CockpitController } from './model/controller.js';
import type { Theme } from './theme.js';

export interface CockpitEnv {
  store: CockpitStore;
  controller: CockpitController;
  theme: Theme;
}

export const CockpitContext = createContext<CockpitEnv | null>(null);

export function useEnv(): CockpitEnv {
  const env = useContext(CockpitContext);
  if (!env) throw new Error('useEnv outside <CockpitContext.Provider>');
  return env;
}

/** The cockpit state, re-rendering when it changes. */
export function useCockpit(): CockpitState {
  const { store } = useEnv();
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
