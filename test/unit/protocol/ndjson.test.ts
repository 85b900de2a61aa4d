import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { encode, LineSplitter, readLines } from '../../../src/protocol/ndjson.js';

describe('newline-delimited messages', () => {
  it('gives every line once and in order, however the stream is cut, and keeps a half line for the next chunk', () => {
    const text = Array.from({ length: 2000 }, (_, i) => encode({ i })).join('');
    for (const size of [1, 7, 4096, text.length]) {
      const got: number[] = [];
      const s = new LineSplitter((l) => got.push((JSON.parse(l) as { i: number }).i));
      for (let at = 0; at < text.length; at += size) s.push(text.slice(at, at + size));
      expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    }
  });

  it('refuses a line longer than allowed', () => {
    const s = new LineSplitter(() => undefined, 10);
    expect(() => s.push('x'.repeat(11))).toThrow(/longer than 10 bytes/);
  });

  it('reads a stream line by line, and ends it when its reader throws on a line, not before', () => {
    const stream = Object.assign(new EventEmitter(), { destroyed: false, destroy: () => (stream.destroyed = true) });
    const got: unknown[] = [];
    readLines(stream, (l) => got.push(JSON.parse(l)));
    stream.emit('data', '{"a":1}\n{"b"');
    stream.emit('data', ':2}\n');
    expect(got).toEqual([{ a: 1 }, { b: 2 }]);
    expect(stream.destroyed).toBe(false);
    stream.emit('data', 'not json\n');
    expect(stream.destroyed).toBe(true);
  });
});
