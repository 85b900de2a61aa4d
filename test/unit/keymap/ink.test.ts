import { createElement } from 'react';
import { Text, useInput, type Key } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { keyFromInk } from '../../../src/keymap/index.js';

// Real Ink parses the bytes, so these tables pin its quirks, not our guess of them.
function KeyProbe({ heard }: { heard: (string | null)[] }) {
  useInput((input, key) => {
    heard.push(keyFromInk(input, key));
  });
  return createElement(Text, null, 'ready');
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for Ink');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function pressThroughInk(bytes: string): Promise<string | null> {
  const heard: (string | null)[] = [];
  const app = render(createElement(KeyProbe, { heard }));
  cleanup = app.unmount;
  await until(() => app.stdin.listenerCount('readable') > 0);
  app.stdin.write(bytes);
  await until(() => heard.length > 0);
  return heard[0] ?? null;
}

describe('keyFromInk, fed by real Ink', () => {
  it.each([
    ['\x03', 'ctrl+c'],
    ['\x02', 'ctrl+b'],
    ['\x1d', 'ctrl+]'],
    ['K', 'K'],
    ['k', 'k'],
    ['?', '?'],
    ['1', '1'],
    [' ', 'space'],
    ['\r', 'enter'],
    ['\x1b', 'esc'],
    ['\t', 'tab'],
    ['\x1b[Z', 'shift+tab'],
    ['\x1b[A', 'up'],
    ['\x1b[B', 'down'],
    ['\x1b[C', 'right'],
    ['\x1b[D', 'left'],
    ['\x1b[1;5A', 'ctrl+up'],
    ['\x1b[5~', 'pageup'],
    ['\x1b[6~', 'pagedown'],
    ['\x1b[H', 'home'],
    ['\x1b[F', 'end'],
    ['\x7f', 'backspace'],
    ['\b', 'backspace'],
    ['\x1bx', 'meta+x'],
  ])('names the keypress %j %s', async (bytes, key) => {
    expect(await pressThroughInk(bytes)).toBe(key);
  });

  it('names no key for pasted text, so a paste never runs commands', async () => {
    expect(await pressThroughInk('rm -rf')).toBeNull();
  });
});

describe('keyFromInk, on its own', () => {
  const none: Key = {
    upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false,
    pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false,
    shift: false, tab: false, backspace: false, delete: false, meta: false, super: false,
    hyper: false, capsLock: false, numLock: false,
  };

  it('acts on a kitty key press once, not again on its release', () => {
    expect(keyFromInk(']', { ...none, ctrl: true, eventType: 'press' })).toBe('ctrl+]');
    expect(keyFromInk(']', { ...none, ctrl: true, eventType: 'release' })).toBeNull();
  });

  it('names ctrl with a key no terminal can send as no key at all', () => {
    expect(keyFromInk('1', { ...none, ctrl: true })).toBeNull();
    expect(keyFromInk('', { ...none, return: true, ctrl: true })).toBeNull();
  });
});
