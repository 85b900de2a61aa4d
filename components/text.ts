import { displayLine } from '../src/core/display-text.js';

/** Pads or cuts plain text to exactly `width` columns (for table cells); control characters are shown escaped, never obeyed. */
export function cell(text: string, width: number): string {
  const flat = displayLine(text.replace(/[\r\n\t]+/g, ' '));
  if (flat.length > width) return width > 1 ? `${flat.slice(0, width - 1)}…` : flat.slice(0, width);
  return flat.padEnd(width);
}

export function clock(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}
