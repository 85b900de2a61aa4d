import { MusterClient } from './client.js';
import { NotRunningError } from './not-running.js';
import { formatRemoteTarget, type RemoteTarget } from './remote-target.js';
import { openSshStream, RemoteNotRunningError, remoteProxyCommand, type SshOptions } from './ssh-transport.js';
import { MusterError } from '../protocol/errors.js';

/**
 * Connects to the supervisor of a repository on another machine through `ssh host muster
 * proxy`, and checks the whole way with a ping, so a failure (ssh, a missing remote muster, no
 * repository there) is reported here, as a local connect reports it. The requests carry no
 * caller: on the remote side the proxy speaks for the operator.
 */
export async function connectRemote(target: RemoteTarget, opts: SshOptions & { timeoutMs?: number } = {}): Promise<MusterClient> {
  const stream = await openSshStream(target, opts);
  // Why ssh ended, as the stream says it (a missing remote muster, ssh's own message, the remote
  // muster's refusal): kept here first, whatever the client makes of a closed connection.
  let ended: Error | null = null;
  stream.on('error', (e: Error) => (ended ??= e));
  const where = formatRemoteTarget(target);
  const client = MusterClient.over(stream, undefined, where);
  // A first connection may wait for a passphrase typed on the terminal.
  const timeoutMs = opts.timeoutMs ?? (opts.interactive === false ? 45_000 : 180_000);
  let timer: NodeJS.Timeout | undefined;
  // The proxy may have to start the supervisor first (up to 15 s); silence far beyond that
  // means something else answers on the channel, e.g. a shell startup file that prints.
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new MusterError(
            'failure',
            `No answer from muster proxy on ${where} within ${timeoutMs / 1000} s. Check that "ssh ${target.host} ${remoteProxyCommand(target, opts)}" prints nothing before muster does (a shell startup file that prints breaks the channel).`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.call('ping', {}), silent]);
  } catch (caught) {
    client.close();
    const e = ended ?? caught;
    if (e instanceof RemoteNotRunningError) throw new NotRunningError(`No muster supervisor is running for ${formatRemoteTarget(target)}.`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return client;
}
