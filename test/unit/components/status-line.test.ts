import { describe, expect, it } from 'vitest';
import { statusText } from '../../../components/StatusLine.js';
import { initialState } from '../../../components/model/cockpit-state.js';
import { DEFAULT_BINDINGS } from '../../../src/keymap/index.js';

describe('the status line in a narrow terminal', () => {
  it('drops hints from the end to fit, but always keeps ? help and q quit', () => {
    const s = initialState({ cols: 60, rows: 24 });
    const wide = statusText(s, DEFAULT_BINDINGS, 'agents');
    expect(wide.length).toBeGreaterThan(60);
    const narrow = statusText(s, DEFAULT_BINDINGS, 'agents', 60);
    expect(narrow.length).toBeLessThanOrEqual(60);
    expect(narrow).toContain('? help');
    expect(narrow).toContain('q quit');
    // What stays comes in the key map's order, from the first hint on.
    expect(narrow.startsWith(wide.slice(0, 10))).toBe(true);
  });

  it('keeps the essentials even when nothing else fits', () => {
    const s = initialState({ cols: 20, rows: 24 });
    expect(statusText(s, DEFAULT_BINDINGS, 'agents', 20)).toBe('? help  q quit');
  });
});
