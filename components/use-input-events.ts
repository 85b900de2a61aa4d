import { useStdin } from 'ink';
import { useEffect, useRef } from 'react';
import { InputDecoder, type InputEvent } from '../src/keymap/index.js';

/**
 * Every key and paste from the terminal, in order, to `handler`. Ink's own `useInput` reduces an
 * escape sequence to flags and hands a run of text with control characters in it over as one
 * string, so keys that arrive together (text then tab, three backspaces, esc then a key) and
 * bracketed pastes could not be told apart; this reads the tokens Ink's input parser already
 * split stdin into (its `internal_eventEmitter`) and decodes them itself.
 */
export function useInputEvents(handler: (event: InputEvent) => void, isActive: boolean): void {
  const { setRawMode, internal_eventEmitter: emitter } = useStdin();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!isActive) return;
    setRawMode(true);
    return () => setRawMode(false);
  }, [isActive, setRawMode]);
  useEffect(() => {
    if (!isActive) return;
    const decoder = new InputDecoder();
    const onInput = (token: string) => {
      for (const event of decoder.push(token)) latest.current(event);
    };
    emitter.on('input', onInput);
    return () => {
      emitter.off('input', onInput);
    };
  }, [isActive, emitter]);
}
