import type { Rect } from './grid-layout.js';
import { displayLine } from '../core/display-text.js';
import { textWidth, truncateText } from './text-width.js';

/** What a pane's title bar says: `#id title · agent · activity`. */
export interface TitleInfo {
  id: number | string;
  title: string;
  agent: string;
  /** The agent's activity (`working`, `waiting-input`, `idle`, `exited`, `unknown`, …). */
  activity: string;
}

/** How a title bar is drawn. */
export interface TitleStyle {
  /** The selected pane's bar is drawn in inverse video, which survives NO_COLOR. */
  selected: boolean;
  color: boolean;
}

const RESET = '\x1b[0m';
const SEP = ' · ';

// Waiting for input is what the operator must act on, so it is the loudest.
const ACTIVITY_SGR: Readonly<Record<string, string>> = {
  working: '32',
  'waiting-input': '1;33',
  idle: '2',
  exited: '31',
  unknown: '2',
};

interface Segment {
  text: string;
  sgr: string;
}

/** The parts that fit in `room` cells: the title is cut, then dropped, then the agent; the id stays. */
function fit(info: TitleInfo, room: number): Segment[] {
  const id = { text: `#${info.id}`, sgr: '1' };
  // "exited (code 1) · failed" is coloured as "exited".
  const activity = { text: info.activity, sgr: ACTIVITY_SGR[info.activity] ?? ACTIVITY_SGR[info.activity.split(' ')[0] ?? ''] ?? '' };
  const agent = { text: info.agent, sgr: '36' };
  const sep = { text: SEP, sgr: '2' };
  const fixed = textWidth(id.text) + textWidth(agent.text) + textWidth(activity.text) + 3 * SEP.length;
  const titleRoom = room - fixed;
  // The bar is written to the terminal as is: a title's control characters must not act.
  const title = displayLine(info.title);
  if (titleRoom >= 4 || (titleRoom > 0 && textWidth(title) <= titleRoom)) {
    return [id, sep, { text: truncateText(title, titleRoom), sgr: '' }, sep, agent, sep, activity];
  }
  const noTitle = [id, sep, agent, sep, activity];
  if (noTitle.reduce((w, s) => w + textWidth(s.text), 0) <= room) return noTitle;
  const idAndActivity = [id, sep, activity];
  if (idAndActivity.reduce((w, s) => w + textWidth(s.text), 0) <= room) return idAndActivity;
  return [{ text: truncateText(id.text, room), sgr: '1' }];
}

/**
 * A pane's title bar, exactly `width` cells, starting and ending in default attributes: the
 * text, then a rule to the right edge that marks where the pane above ends; the selected pane's
 * bar is inverse video instead.
 */
export function renderTitleBar(info: TitleInfo, width: number, style: TitleStyle): string {
  if (width <= 0) return '';
  const segments = fit(info, Math.max(0, width - 2));
  const used = 1 + segments.reduce((w, s) => w + textWidth(s.text), 0);
  const rest = Math.max(0, width - used);
  if (style.selected) {
    const text = segments.map((s) => s.text).join('');
    return `\x1b[1;7m ${text}${' '.repeat(rest)}${RESET}`;
  }
  if (!style.color) {
    return ` ${segments.map((s) => s.text).join('')}${rest > 0 ? ` ${'─'.repeat(rest - 1)}` : ''}`;
  }
  let out = ' ';
  for (const s of segments) out += s.sgr === '' ? s.text : `\x1b[${s.sgr}m${s.text}${RESET}`;
  if (rest > 0) out += ` \x1b[2m${'─'.repeat(rest - 1)}${RESET}`;
  return out;
}

/** A vertical rule filling `rect` (the gap between side-by-side panes), cursor-addressed. */
export function separatorFrame(rect: Rect, color: boolean): string {
  const cell = color ? `\x1b[2m${'│'.repeat(rect.width)}${RESET}` : '│'.repeat(rect.width);
  let out = '';
  for (let r = 0; r < rect.height; r++) out += `\x1b[${rect.top + r + 1};${rect.left + 1}H${cell}`;
  return out;
}

/** A title bar at a fixed place that redraws only when its text changes. */
export class TitleBar {
  private box: Rect;
  private info: TitleInfo;
  private style: TitleStyle;
  private shown: string | undefined;

  constructor(rect: Rect, info: TitleInfo, style: TitleStyle) {
    this.box = { ...rect };
    this.info = { ...info };
    this.style = { ...style };
  }

  update(info: TitleInfo, style: TitleStyle = this.style): void {
    this.info = { ...info };
    this.style = { ...style };
  }

  /** Moves the bar; only its first row and `width` are used. */
  setRect(rect: Rect): void {
    this.box = { ...rect };
    this.shown = undefined;
  }

  invalidate(): void {
    this.shown = undefined;
  }

  /** The bar, cursor-addressed, or `''` when it already shows this text. */
  frame(): string {
    const text = renderTitleBar(this.info, this.box.width, this.style);
    if (text === this.shown) return '';
    this.shown = text;
    return `\x1b[${this.box.top + 1};${this.box.left + 1}H${text}`;
  }
}
