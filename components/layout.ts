/** Rows of the header at the top of every view. */
export const HEADER_ROWS = 2;

/** Below this the cockpit shows a one-line message instead of a broken layout. */
export const MIN_COLS = 40;
export const MIN_ROWS = 8;
