import { keyFromBytes } from './bytes.js';
import type { KeyName } from './keys.js';

/**
 * One thing the operator did at the keyboard:
 * - a key (`key` null for one no binding can name, e.g. an F-key), with `text` the character it
 *   types (`''` for keys that type nothing); for meta (ESC-prefixed) characters `text` is the
 *   character, so a dispatcher can fall back to esc, then that key;
 * - a paste, as the terminal delimited it (bracketed paste), whole.
 */
export type InputEvent = { kind: 'key'; key: KeyName | null; text: string } | { kind: 'paste'; text: string };

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

function isControl(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f;
}

/**
 * Turns what the terminal sent into keys and pastes. It is fed tokens as Ink's input parser
 * splits stdin: a run of plain text (control bytes included), one escape sequence, or ESC
 * plus one character. Several keys often come in one read — a fast typist, a busy machine,
 * SSH — so a text run is taken apart into one key per character, control characters
 * included (text then tab, three backspaces). Text between the bracketed-paste markers is one
 * paste, never keys: a pasted newline must not submit a form.
 */
export class InputDecoder {
  private paste: string | null = null;

  push(token: string): InputEvent[] {
    if (this.paste !== null) {
      if (token === PASTE_END) {
        const text = this.paste;
        this.paste = null;
        return [{ kind: 'paste', text }];
      }
      this.paste += token;
      return [];
    }
    if (token === PASTE_START) {
      this.paste = '';
      return [];
    }
    if (token.startsWith('\x1b')) {
      const rest = [...token.slice(1)];
      // ESC and one printable character: meta with that character, which it may type instead.
      const text = rest.length === 1 && !isControl(rest[0]!) ? rest[0]! : '';
      return [{ kind: 'key', key: keyFromBytes(token), text }];
    }
    return [...token].map((ch) => ({ kind: 'key', key: keyFromBytes(ch), text: isControl(ch) ? '' : ch }));
  }

  /** Whether a paste has started and not yet ended. */
  get pasting(): boolean {
    return this.paste !== null;
  }
}
