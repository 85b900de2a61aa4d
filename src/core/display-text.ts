/**
 * Text from tasks, agents and git shown on the operator's terminal. A title holding ESC or
 * BEL, or a C1 control such as U+009B (CSI to many terminals), would otherwise be obeyed by
 * the terminal: recolour the screen, move the cursor, retitle the window, ring the bell.
 * Bidirectional overrides would reorder what is shown. Each such character is shown as an
 * escape (`\x1b`, `\u202e`) instead; the data itself, and JSON output, keep the real text.
 */

// C0 and C1 controls, DEL, the line and paragraph separators, bidirectional embeddings,
// overrides and isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw (it escapes C0 itself, and its own line breaks are structure).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One line of display text (a title, a table cell): every control character escaped, line breaks and tabs included. */
export function displayLine(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** A block of display text (a message, a document): line breaks and tabs kept, every other control character escaped. */
export function displayText(text: string): string {
  return text.replace(UNSAFE_IN_BLOCK, escape);
}

/**
 * JSON text safe to write to a terminal, with the same value: `JSON.stringify` escapes C0
 * controls but writes DEL, C1 controls and bidirectional overrides raw. They can only occur
 * inside strings, so escaping them as `\uXXXX` keeps the document valid and equal.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
