import { describe, expect, it } from 'vitest';
import { LineRenderer } from '../../../src/adapters/pty/log-text.js';

/** Everything a renderer gives out for `chunks`, then its last screen. */
async function text(cols: number, ...chunks: string[]): Promise<string[]> {
  const r = new LineRenderer(cols);
  const out: string[] = [];
  for (const c of chunks) out.push(...(await r.write(c)));
  out.push(...r.finish());
  r.dispose();
  return out;
}

describe('LineRenderer', () => {
  it('gives the text a person read: colours gone, a progress line as it ended, wrapped rows joined', async () => {
    expect(
      await text(
        20,
        '\x1b[31mred\x1b[0m and \x1b[1mbold\x1b[0m\r\n',
        '10%\r50%\r100%\r\n',
        `${'x'.repeat(45)}\r\n`,
        `${'w'.repeat(19)} next word\r\n`,
        'prompt> ',
      ),
    ).toEqual(['red and bold', '100%', 'x'.repeat(45), `${'w'.repeat(19)} next word`, 'prompt>']);
  });

  it('gives every line once and in order, however much scrolled by', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `line ${i}`);
    const out = await text(
      40,
      lines
        .slice(0, 12_345)
        .map((l) => `${l}\r\n`)
        .join(''),
      lines
        .slice(12_345)
        .map((l) => `${l}\r\n`)
        .join(''),
    );
    expect(out).toEqual(lines);
  });

  it('leaves out what a full-screen program drew on the alternate screen, but shows it when it is still up', async () => {
    expect(await text(30, 'before\r\n', '\x1b[?1049h\x1b[Hfull-screen menu', '\x1b[?1049lafter\r\n')).toEqual(['before', 'after']);
    expect(await text(30, 'before\r\n', '\x1b[?1049h\x1b[Hstill up')).toEqual(['before', 'still up']);
  });

  it('joins a wrapped line even when it scrolled off in two writes', async () => {
    const r = new LineRenderer(10);
    const first = await r.write(`${'a'.repeat(15)}`);
    const second = await r.write(`${'b'.repeat(5)}\r\n${'\r\n'.repeat(60)}`);
    expect([...first, ...second][0]).toBe(`${'a'.repeat(15)}${'b'.repeat(5)}`);
    r.dispose();
  });
});
