import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * Listens on a Unix socket only its owner can open. The umask is narrowed for the bind itself,
 * so the socket never exists with wider permissions, not even between bind and chmod; the
 * chmod then states 0600 whatever the umask did. Whoever calls this has made sure no live
 * listener is at `path` (a file left there now is stale and removed).
 */
export async function listenOwnerOnly(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return server;
}

/** Removes a socket file this process listened on (gone already is fine). */
export function removeSocket(path: string): void {
  rmSync(path, { force: true });
}

/** The file descriptor of an accepted connection, for asking the kernel who is at the other end; null when Node hides it. */
export function socketFd(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}
