import { MusterError } from '../protocol/errors.js';

/** Nothing listens on the repository's socket (a remote link says so with its own error). */
export class NotRunningError extends MusterError {
  constructor(message = 'No muster supervisor is running for this repository.') {
    super('failure', message);
  }
}
