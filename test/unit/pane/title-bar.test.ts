import { describe, expect, it } from 'vitest';
import { renderTitleBar, separatorFrame, TitleBar } from '../../../src/pane/title-bar.js';
import { textWidth, truncateText } from '../../../src/pane/text-width.js';
import { strip } from './terminal.js';

const info = { id: 4, title: 'Fix the login form', agent: 'claude', activity: 'working' };

describe('renderTitleBar', () => {
  it('says #id title · agent · activity and rules off the rest of the width', () => {
    const bar = renderTitleBar(info, 50, { selected: false, color: true });
    expect(strip(bar)).toBe(` #4 · Fix the login form · claude · working ${'─'.repeat(6)}`);
    expect(bar).toContain('\x1b[32mworking\x1b[0m');
    expect(textWidth(strip(bar))).toBe(50);
  });

  it('highlights the selected pane in inverse video, also without colour', () => {
    for (const color of [true, false]) {
      const bar = renderTitleBar(info, 50, { selected: true, color });
      expect(bar.startsWith('\x1b[1;7m #4 · Fix')).toBe(true);
      expect(bar.endsWith('\x1b[0m')).toBe(true);
      expect(textWidth(strip(bar))).toBe(50);
    }
  });

  it('has no escape sequences without colour unless selected', () => {
    expect(renderTitleBar(info, 50, { selected: false, color: false })).toBe(` #4 · Fix the login form · claude · working ${'─'.repeat(6)}`);
  });

  it('cuts the title first, then drops it, then the agent, keeping the width exact', () => {
    const cases: Array<[number, string]> = [
      [35, ' #4 · Fix the … · claude · working'],
      [28, ' #4 · claude · working'],
      [18, ' #4 · working'],
      [3, ' … '],
    ];
    for (const [width, start] of cases) {
      const text = strip(renderTitleBar(info, width, { selected: false, color: false }));
      expect(text.startsWith(start)).toBe(true);
      expect(textWidth(text)).toBe(width);
    }
  });

  it('measures wide titles in cells and shows control characters escaped, as every other view does', () => {
    const text = strip(renderTitleBar({ ...info, title: '修复登录\x1b[2J表单😀' }, 50, { selected: false, color: false }));
    expect(text).toContain('修复登录\\x1b[2J表单😀');
    expect(textWidth(text)).toBe(50);
  });
});

describe('TitleBar', () => {
  it('draws at its row and redraws only when the text changes', () => {
    const bar = new TitleBar({ top: 0, left: 10, width: 30, height: 1 }, info, { selected: false, color: true });
    expect(bar.frame().startsWith('\x1b[1;11H')).toBe(true);
    expect(bar.frame()).toBe('');
    bar.update({ ...info, activity: 'waiting-input' });
    expect(bar.frame()).toContain('\x1b[1;33mwaiting-input');
    bar.update({ ...info, activity: 'waiting-input' }, { selected: true, color: true });
    expect(bar.frame()).toContain('\x1b[1;7m');
    bar.invalidate();
    expect(bar.frame()).not.toBe('');
  });
});

describe('separatorFrame', () => {
  it('draws a vertical rule down the gap', () => {
    expect(separatorFrame({ top: 1, left: 100, width: 1, height: 2 }, false)).toBe('\x1b[2;101H│\x1b[3;101H│');
  });
});

describe('textWidth and truncateText', () => {
  it.each([
    ['abc', 3],
    ['中文', 4],
    ['😀', 2],
    ['e\u0301', 1],
    ['👍🏽', 2],
    ['❤️', 2],
    ['', 0],
  ])('measures %j as %i cells', (text, width) => {
    expect(textWidth(text)).toBe(width);
  });

  it('never splits a wide character when cutting', () => {
    expect(truncateText('中文字', 4)).toBe('中…');
    expect(truncateText('abc', 3)).toBe('abc');
    expect(truncateText('abcd', 3)).toBe('ab…');
  });
});
