/** Rows of the header at the top of every view. */
export const HEADER_ROWS = 2;
