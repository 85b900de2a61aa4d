import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { testEnv } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/** The prompt of the shell in every test terminal: easy to find, unlike anything muster draws. */
export const PROMPT = 'e2e-shell$ ';

/** Terminal modes tmux reports for a pane; a program that leaves them changed broke the terminal. */
const MODE_FLAGS = [
  'alternate_on',
  'cursor_flag',
  'insert_flag',
  'keypad_cursor_flag',
  'keypad_flag',
  'mouse_all_flag',
  'mouse_any_flag',
  'mouse_button_flag',
  'mouse_standard_flag',
  'mouse_sgr_flag',
  'mouse_utf8_flag',
  'origin_flag',
  'wrap_flag',
  'scroll_region_upper',
  'scroll_region_lower',
] as const;
export type ModeFlags = Record<(typeof MODE_FLAGS)[number], string>;

export interface WaitOptions {
  timeout?: number;
  /** Milliseconds between captures (default 50). */
  interval?: number;
  /** Capture with SGR escape sequences (`capture-pane -e`). */
  colour?: boolean;
}

let counter = 0;

/**
 * One private tmux server (`-L <unique>`, `-f /dev/null`) with one window of a fixed size,
 * running an interactive bash with no rc files: tests type commands into it the way an
 * operator does, so what a program leaves behind on the terminal stays visible after it exits.
 */
export class TmuxTerminal {
  private socketPath = '';

  private constructor(
    readonly socket: string,
    readonly cwd: string,
  ) {}

  /**
   * Starts the server. The pane's environment is `testEnv()` with `CI=false` (Ink is silent
   * under CI) and `opts.env` on top, where `undefined` removes a variable.
   */
  static start(opts: { cwd: string; cols?: number; rows?: number; env?: Record<string, string | undefined> }): TmuxTerminal {
    const socket = `muster-e2e-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
    const term = new TmuxTerminal(socket, opts.cwd);
    const env = testEnv({ CI: 'false' });
    // The tmux server copies the environment of the client that starts it; none of the
    // caller's tmux or colour preferences may leak in. PS1 is set on the command line because
    // the `sh -c` tmux runs it through does not pass an inherited PS1 on.
    for (const k of ['TMUX', 'TMUX_PANE', 'NO_COLOR', 'FORCE_COLOR']) delete env[k];
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    execFileSync(
      'tmux',
      [
        '-L',
        socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        'e2e',
        '-x',
        String(opts.cols ?? 160),
        '-y',
        String(opts.rows ?? 45),
        '-c',
        opts.cwd,
        `env PS1='${PROMPT}' bash --norc --noprofile -i`,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    term.socketPath = term.format('#{socket_path}');
    // Keep the window at the size we asked for whatever clients come and go.
    term.tmux('set-option', '-g', 'window-size', 'manual');
    return term;
  }

  /** Runs a tmux command against this server and returns its stdout. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Sends keys by tmux name (`Enter`, `Escape`, `C-]`, `q`). */
  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'e2e', ...keys);
  }

  /** Types text literally, character by character as a user would. */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'e2e', '-l', text);
  }

  /** Types a shell command line and presses enter. */
  run(commandLine: string): void {
    this.type(commandLine);
    this.sendKeys('Enter');
  }

  /** The visible screen as text (`-e`: with the SGR sequences of its colours). */
  capture(opts: { colour?: boolean } = {}): string {
    return this.tmux('capture-pane', '-p', '-t', 'e2e', ...(opts.colour ? ['-e'] : []));
  }

  /** A tmux format evaluated for the pane (`#{alternate_on}`). */
  format(fmt: string): string {
    return this.tmux('display-message', '-p', '-t', 'e2e', fmt).trim();
  }

  modes(): ModeFlags {
    const values = this.format(MODE_FLAGS.map((f) => `#{${f}}`).join(' ')).split(' ');
    return Object.fromEntries(MODE_FLAGS.map((f, i) => [f, values[i] ?? ''])) as ModeFlags;
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-t', 'e2e', '-x', String(cols), '-y', String(rows));
  }

  /** Polls the screen until `pred` holds; on timeout the error shows the last screen. */
  async waitForScreen(pred: (screen: string) => boolean, what: string, opts: WaitOptions = {}): Promise<string> {
    let last = '';
    return waitFor(
      () => {
        last = this.capture({ colour: opts.colour });
        return pred(last) ? last : null;
      },
      { timeout: opts.timeout ?? 30_000, interval: opts.interval ?? 50, what, describe: () => visible(last) },
    );
  }

  /**
   * Waits until the screen (with its colours) has not changed for `quietMs`: what a person
   * sees before pressing a key. Returns the settled screen.
   */
  async waitForStable(quietMs = 400, opts: WaitOptions = {}): Promise<string> {
    let last = '';
    let since = Date.now();
    await this.waitForScreen(
      (s) => {
        if (s !== last) {
          last = s;
          since = Date.now();
        }
        return Date.now() - since >= quietMs;
      },
      `the screen to stay unchanged for ${quietMs} ms`,
      { ...opts, colour: true },
    );
    return last;
  }

  /** Waits until every one of `texts` is on the screen at once. */
  waitForText(texts: string | RegExp | (string | RegExp)[], opts: WaitOptions = {}): Promise<string> {
    const all = Array.isArray(texts) ? texts : [texts];
    return this.waitForScreen(
      (s) => all.every((t) => (typeof t === 'string' ? s.includes(t) : t.test(s))),
      `the screen to show ${all.map(String).join(', ')}`,
      opts,
    );
  }

  /** Waits for the shell's prompt on the last non-empty row: whatever ran in the foreground has ended. */
  waitForPrompt(opts: WaitOptions = {}): Promise<string> {
    return this.waitForScreen((s) => lastRow(s) === PROMPT.trimEnd(), 'the shell prompt on the last row', opts);
  }

  /** Waits until the program in the foreground has exited and the shell has the terminal again. */
  async waitForShell(opts: WaitOptions = {}): Promise<void> {
    let last = '';
    await waitFor(
      () => {
        last = this.format('#{pane_current_command} #{alternate_on}');
        return last === 'bash 0';
      },
      {
        timeout: opts.timeout ?? 30_000,
        interval: 50,
        what: 'the shell back in the foreground on the normal screen',
        describe: () => `pane_current_command alternate_on: ${last}\n${visible(this.capture())}`,
      },
    );
  }

  /** Stops the server and everything running in it (the pane's processes get SIGHUP). */
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    // tmux 3.3 leaves its socket file behind.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}

/** The last non-blank row of a screen. */
export function lastRow(screen: string): string {
  const rows = screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  return rows[rows.length - 1] ?? '';
}

/** A screen for a failure message: escapes shown, framed so blank rows are visible. */
export function visible(screen: string): string {
  const rows = screen.replace(/\n$/, '').split('\n');
  return rows.map((r, i) => `${String(i + 1).padStart(2)}|${r.replace(/\x1b/g, '\\e')}`).join('\n');
}

/** Where `text` first appears on a screen: 0-based row and column (in characters). */
export function positionOf(screen: string, text: string): { row: number; col: number } | null {
  const rows = screen.split('\n');
  for (let row = 0; row < rows.length; row++) {
    const col = rows[row]!.indexOf(text);
    if (col >= 0) return { row, col: [...rows[row]!.slice(0, col)].length };
  }
  return null;
}

/** The graphic rendition in effect at a point of a captured (`-e`) row. */
export interface Style {
  bold: boolean;
  inverse: boolean;
  /** SGR code of the foreground (`31`), or null for the default. */
  fg: string | null;
  /** SGR code of the background (`44`), or null for the default. */
  bg: string | null;
}

/**
 * The style in effect where `word` starts in a row captured with `capture-pane -e`, replaying
 * every SGR sequence before it: tmux re-encodes colours its own way (`\e[1m\e[32m` for
 * `\e[1;32m`), so the attributes are compared, not the bytes.
 */
export function styleAt(row: string, word: string): Style | null {
  const style: Style = { bold: false, inverse: false, fg: null, bg: null };
  const sgr = /\x1b\[([0-9;:]*)m|\x1b\[[0-9;?]*[A-Za-z]/y;
  let i = 0;
  while (i < row.length) {
    sgr.lastIndex = i;
    const m = sgr.exec(row);
    if (m) {
      if (m[1] !== undefined) apply(style, m[1]);
      i = sgr.lastIndex;
      continue;
    }
    if (row.startsWith(word, i)) return style;
    i++;
  }
  return null;
}

function apply(style: Style, params: string): void {
  const codes = params === '' ? ['0'] : params.split(';');
  for (let k = 0; k < codes.length; k++) {
    const c = codes[k]!;
    const n = Number(c.split(':')[0]);
    if (n === 0) Object.assign(style, { bold: false, inverse: false, fg: null, bg: null });
    else if (n === 1) style.bold = true;
    else if (n === 22) style.bold = false;
    else if (n === 7) style.inverse = true;
    else if (n === 27) style.inverse = false;
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) style.fg = String(n);
    else if (n === 39) style.fg = null;
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) style.bg = String(n);
    else if (n === 49) style.bg = null;
    else if ((n === 38 || n === 48) && !c.includes(':')) {
      const extended = codes[k + 1] === '5' ? codes.slice(k + 1, k + 3) : codes.slice(k + 1, k + 5);
      if (n === 38) style.fg = `38;${extended.join(';')}`;
      else style.bg = `48;${extended.join(';')}`;
      k += extended.length;
    }
  }
}
