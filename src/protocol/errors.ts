import * as z from 'zod/mini';

/**
 * Exit codes of every command (spec §11), and of a supervisor a client started in the
 * background that found another one already running (`alreadyRunning`, EX_TEMPFAIL): the
 * client then just waits for that one's socket.
 */
export const EXIT = { ok: 0, failure: 1, badInput: 2, conflict: 3, alreadyRunning: 75 } as const;

export const ERROR_CODES = ['bad-input', 'not-found', 'invalid-state', 'conflict', 'config', 'failure'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

// Built on first use, like the shapes: every command imports this module for MusterError.
export const wireErrorSchema = z.lazy(() =>
  z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    data: z.optional(z.unknown()),
  }),
);
export type WireError = z.infer<typeof wireErrorSchema>;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'bad-input':
    case 'not-found':
    case 'invalid-state':
    case 'config':
      return EXIT.badInput;
    case 'conflict':
      return EXIT.conflict;
    case 'failure':
      return EXIT.failure;
  }
}

/** An error that crosses the socket: a code, a message for people, optional data for `--json`. */
export class MusterError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'MusterError';
  }

  get exitCode(): number {
    return exitCodeFor(this.code);
  }

  toWire(): WireError {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}
