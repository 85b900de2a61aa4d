import getPort, { clearLockedPorts } from 'get-port';

/**
 * True when nothing listens on `port` on any local IPv4 or IPv6 address. get-port answers
 * with another, random port when the asked one is taken, so the answer is compared, and its
 * in-process reservations are cleared so a port released a moment ago probes free again.
 */
export async function isPortFree(port: number): Promise<boolean> {
  clearLockedPorts();
  try {
    return (await getPort({ port, exclude: [] })) === port;
  } catch {
    return false;
  }
}

/** The ports of a range that something already listens on. */
export async function busyPorts(from: number, to: number): Promise<number[]> {
  const busy: number[] = [];
  for (let p = from; p <= to; p++) if (!(await isPortFree(p))) busy.push(p);
  return busy;
}
