import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TerminalLog } from '../../../src/adapters/pty/terminal-log.js';
import { waitFor } from '../../helpers/wait.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'muster-log-'));
  return join(dir, 'terminal.log');
}

describe('the terminal log', () => {
  it('keeps every byte in order, written across many chunks and closed while a write is in flight', async () => {
    const file = logDir();
    const log = new TerminalLog(file, 1 << 30, 2);
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ✓ ${'x'.repeat(40)}\r\n`);
    for (const l of lines) log.write(l);
    log.close();
    log.write('after close is ignored\r\n');
    await waitFor(() => existsSync(file) && statSync(file).size === Buffer.byteLength(lines.join('')), { what: 'the whole output on disk' });
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('writes gathered output within a moment without being closed', async () => {
    const file = logDir();
    const log = new TerminalLog(file, 1 << 30, 2);
    log.write('a prompt> ');
    await waitFor(() => readFileSync(file, 'utf8') === 'a prompt> ', { what: 'the small write on disk' });
    log.close();
  });

  it('rotates at the size bound and keeps only the configured number of old files', async () => {
    const file = logDir();
    const log = new TerminalLog(file, 300 * 1024, 2);
    const chunk = 'y'.repeat(1023) + '\n';
    for (let i = 0; i < 2000; i++) log.write(chunk);
    log.close();
    await waitFor(() => readdirSync(dir).sort().join(',') === 'terminal.log,terminal.log.1,terminal.log.2', { what: 'two rotated files beside the log' });
    for (const f of readdirSync(dir)) {
      const size = statSync(join(dir, f)).size;
      expect(size, f).toBeGreaterThan(0);
      // One gathered write may overshoot the bound by at most its own size.
      expect(size, f).toBeLessThanOrEqual(300 * 1024 + 256 * 1024 + 1024);
    }
  });
});
