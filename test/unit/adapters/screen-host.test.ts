import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import type { WorkerEvent } from '../../../src/adapters/worker/messages.js';
import { ScreenHost, type ScreenTerminal } from '../../../src/adapters/worker/screen-host.js';
import { waitFor } from '../../helpers/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A connection whose write buffer the test fills and drains: what the worker writes to it, by frame. */
class SlowClient extends EventEmitter {
  writable = true;
  writableNeedDrain = false;
  readonly frames: Extract<WorkerEvent, { e: 'frame' }>['frame'][] = [];
  write(line: string): boolean {
    const e = JSON.parse(line) as WorkerEvent;
    if (e.e === 'frame') this.frames.push(e.frame);
    return !this.writableNeedDrain;
  }
}

function rowsOf(frames: SlowClient['frames']): string[] {
  const rows: string[] = [];
  for (const f of frames) for (const [y, text] of f.rows) rows[y] = stripVTControlCharacters(text).trimEnd();
  return rows;
}

it('skips the frames of a client that reads slower than they come, then draws its view whole once it catches up', async () => {
  const h: ScreenTerminal = {
    task: 1,
    logFile: '/nonexistent',
    logKeep: 1,
    screen: null,
    scrollback: 0,
    summaryTimer: null,
    proc: null,
    runs: 0,
    cols: 40,
    rows: 5,
  };
  const host = new ScreenHost(
    () => h,
    () => h,
  );
  host.emulate(h, 100);
  cleanups.push(() => host.dispose(h));
  const client = new SlowClient();
  const socket = client as unknown as Socket;
  host.connected(socket);
  await host.view(socket, { task: 1, id: 1, width: 40, height: 5, color: false, cursor: false, screen: false });
  host.write(h, 'first\r\n');
  await host.settle(1);
  await waitFor(() => rowsOf(client.frames)[0] === 'first', { what: 'the first frame', describe: () => JSON.stringify(client.frames) });

  client.writableNeedDrain = true;
  const sent = client.frames.length;
  host.write(h, 'second\r\n');
  await host.settle(1);
  host.write(h, 'third\r\n');
  await host.settle(1);
  expect(client.frames.length).toBe(sent);

  client.writableNeedDrain = false;
  client.emit('drain');
  await waitFor(() => client.frames.length > sent, { what: 'a frame once drained', describe: () => JSON.stringify(client.frames) });
  await host.settle(1);
  expect(client.frames[sent]!.full).toBe(true);
  expect(rowsOf(client.frames).slice(0, 3)).toEqual(['first', 'second', 'third']);
});
