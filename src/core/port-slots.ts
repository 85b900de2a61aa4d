import type { PortBlock, TaskId } from './task.js';

export interface PortConfig {
  base: number;
  block: number;
  slots: number;
  names: readonly string[];
}

/** The ports of slot k: `[base + k*block, base + (k+1)*block)`, with its named ports. */
export function portBlock(cfg: PortConfig, slot: number): PortBlock {
  const base = cfg.base + slot * cfg.block;
  const named: Record<string, number> = {};
  cfg.names.forEach((name, i) => {
    if (i < cfg.block) named[name] = base + i;
  });
  return { slot, base, last: base + cfg.block - 1, named };
}

/** Slots in the configured range that no task holds, lowest first; never past 65535. */
export function freeSlots(cfg: PortConfig, held: ReadonlyMap<number, TaskId>): number[] {
  const out: number[] = [];
  for (let k = 0; k < cfg.slots; k++) {
    if (cfg.base + (k + 1) * cfg.block - 1 > 65535) break;
    if (!held.has(k)) out.push(k);
  }
  return out;
}

/** Environment variable name of a named port: `dev_server` → `MUSTER_PORT_DEV_SERVER`. */
export function portEnvName(name: string): string {
  return `MUSTER_PORT_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}
