import { describe, expect, it } from 'vitest';
import { InputDecoder, type InputEvent } from '../../../src/keymap/index.js';

/** Feeds tokens as Ink's input parser splits stdin, and collects what the decoder made of them. */
function decode(...tokens: string[]): InputEvent[] {
  const d = new InputDecoder();
  return tokens.flatMap((t) => d.push(t));
}

const key = (k: string | null, text = ''): InputEvent => ({ kind: 'key', key: k, text });

describe('InputDecoder', () => {
  it('takes a run of text apart into one key per character, control characters included', () => {
    expect(decode('Fix\t')).toEqual([key('F', 'F'), key('i', 'i'), key('x', 'x'), key('tab')]);
    expect(decode('\x7f\x7f\x7f')).toEqual([key('backspace'), key('backspace'), key('backspace')]);
    expect(decode('a b\r')).toEqual([key('a', 'a'), key('space', ' '), key('b', 'b'), key('enter')]);
    expect(decode('\x15\x17')).toEqual([key('ctrl+u'), key('ctrl+w')]);
  });

  it('names escape sequences, and keeps the character of an ESC-prefixed one', () => {
    expect(decode('\x1b[D', '\x1b[3~', '\x1bb', '\x1b\r')).toEqual([key('left'), key('delete'), key('meta+b', 'b'), key('meta+enter')]);
    expect(decode('\x1b')).toEqual([key('esc')]);
    expect(decode('\x1b[15~')).toEqual([key(null)]);
  });

  it('makes one paste of everything between the bracketed-paste markers, line breaks and tabs included', () => {
    expect(decode('\x1b[200~', 'line one\rline two\tend', '\x1b[201~', 'x')).toEqual([{ kind: 'paste', text: 'line one\rline two\tend' }, key('x', 'x')]);
  });

  it('keeps what looks like keys inside a paste as text', () => {
    expect(decode('\x1b[200~', 'a', '\x1b[A', 'b', '\x1b[201~')).toEqual([{ kind: 'paste', text: 'a\x1b[Ab' }]);
  });

  it('keeps astral characters whole', () => {
    expect(decode('🙂')).toEqual([key('🙂', '🙂')]);
  });
});
