import { Duplex } from 'node:stream';

/** One agent's connection on a host, as the supervisor's socket server sees it: a stream of lines. */
export interface CallChannel {
  stream: Duplex;
  /** A request line the host's worker forwarded. */
  push(line: string): void;
  /** The agent's side closed (or the host's connection went away). */
  close(): void;
}

/**
 * A stream for a connection a host's worker forwards over its ssh channel: what the agent
 * sends is pushed in line by line, what the supervisor writes (one message a write) goes back
 * through `send`, and ending it tells the worker to close the agent's side (`end`). A write is
 * done only once `writable` says the channel has room (`muster log -f` of a busy agent from a
 * host must not pile up in the supervisor's memory): until then the stream's own buffer holds
 * it, which the socket server reads as the client's backlog, as for a slow local client.
 */
export function callChannel(send: (line: string) => void, end: () => void, writable: (ready: () => void) => void = (ready) => ready()): CallChannel {
  let ended = false;
  const stream = new Duplex({
    read() {
      // pushed as the worker forwards lines
    },
    write(chunk: Buffer | string, _encoding, done) {
      send(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      writable(() => done());
    },
    final(done) {
      if (!ended) {
        ended = true;
        end();
      }
      done();
    },
  });
  return {
    stream,
    push: (line) => void (stream.destroyed || stream.push(`${line}\n`)),
    close: () => {
      ended = true;
      stream.destroy();
    },
  };
}
