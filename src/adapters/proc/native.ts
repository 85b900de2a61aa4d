import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../paths/package-root.js';

/** Who is at the other end of a Unix socket, as the kernel recorded it at connect(2). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface NativeProc {
  peerCredentials(fd: number): PeerCredentials;
  setChildSubreaper(): boolean;
  reapChild(pid: number): boolean;
  setUtf8Input(fd: number): boolean;
}

/** Where `npm run build` puts the compiled native/muster_proc.c. */
export function nativeModulePath(): string {
  return join(packageRoot(), 'native', 'build', 'Release', 'muster_proc.node');
}

let loaded: NativeProc | null = null;

/**
 * muster's native helper (native/muster_proc.c): Node has no API for a socket peer's
 * credentials (SO_PEERCRED), for becoming the subreaper of orphaned descendants, or for
 * reaping one. Loaded on first use; throws a message that says how to build it.
 */
export function nativeProc(): NativeProc {
  if (loaded) return loaded;
  const file = nativeModulePath();
  try {
    loaded = createRequire(import.meta.url)(file) as NativeProc;
  } catch (e) {
    throw new Error(
      `muster's native helper ${file} could not be loaded (${(e as Error).message.split('\n')[0]}); run "npm run build" in ${packageRoot()} (it needs python3, make and a C compiler, like node-pty).`,
    );
  }
  return loaded;
}

/** The credentials of a connected Unix socket's peer; `fd` is the socket's descriptor. */
export function peerCredentials(fd: number): PeerCredentials {
  return nativeProc().peerCredentials(fd);
}

/** Whether the PTY of master `fd` now edits its input lines as UTF-8 (IUTF8), as node-pty sets it when it decodes. */
export function setUtf8Input(fd: number): boolean {
  return nativeProc().setUtf8Input(fd);
}
