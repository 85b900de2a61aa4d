import { describe, expect, it } from 'vitest';
import { callChannel } from '../../../src/adapters/worker/call-channel.js';

describe("a forwarded call's stream in the supervisor (callChannel)", () => {
  it("holds the supervisor's replies in its own buffer while the ssh channel is full, and lets them go in order once it has room", () => {
    const sent: string[] = [];
    const waiting: (() => void)[] = [];
    let full = true;
    const ch = callChannel(
      (line) => sent.push(line),
      () => undefined,
      (ready) => (full ? waiting.push(ready) : ready()),
    );
    ch.stream.setDefaultEncoding('utf8');
    const replies = Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ t: 'res', id: i, ok: true, result: 'x'.repeat(1000) })}\n`);
    for (const r of replies) ch.stream.write(r);
    // One went to the channel, which said wait: the rest is the client's backlog, as a slow local client's would be.
    expect(sent).toHaveLength(1);
    expect(ch.stream.writableLength).toBeGreaterThan(40_000);
    expect(ch.stream.writableNeedDrain).toBe(true);
    full = false;
    waiting.shift()!();
    expect(sent).toEqual(replies);
    expect(ch.stream.writableLength).toBe(0);
  });
});
