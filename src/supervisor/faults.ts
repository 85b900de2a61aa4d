import { StoreWriteError } from '../adapters/store/store.js';
import { FileWriteError } from '../adapters/store/write-error.js';
import type { MusterState } from '../core/state.js';

/** What the fault handling needs of the supervisor. */
export interface FaultHost {
  now(): string;
  stopping(): boolean;
  notify(n: { kind: 'failed'; message: string }): void;
  audit(events: { actor: string; kind: string; details: Record<string, unknown> }[]): void;
  /** Clients see `to` again, and whatever depends on the state is looked at again. */
  republish(from: MusterState, to: MusterState): void;
}

/** The operator hears of the same kind of failure at most this often. */
const NOTIFY_EVERY_MS = 10_000;

/**
 * How the supervisor lives with a disk that refuses writes and with promises nobody awaited:
 * it says so (its log, the operator's status line), keeps the state equal to what is on disk,
 * and records what already happened as soon as the disk takes it.
 */
export class Faults {
  private lastNotified = new Map<string, number>();

  constructor(private readonly host: FaultHost) {}

  /** A line in the supervisor's log (its stderr); a log on a full disk does not stop anything. */
  report(message: string): void {
    try {
      process.stderr.write(`muster: ${this.host.now()} ${message}\n`);
    } catch {
      // The log is on the full disk too.
    }
  }

  private notifyNow(kind: string): boolean {
    const now = Date.now();
    if (now - (this.lastNotified.get(kind) ?? 0) < NOTIFY_EVERY_MS) return false;
    this.lastNotified.set(kind, now);
    return true;
  }

  /**
   * A write failed: the store put the state back to what is on disk and refused the requests
   * that made the change. Clients are shown the real state again, and the operator why.
   */
  rolledBack(from: MusterState, to: MusterState, error: StoreWriteError): void {
    this.host.republish(from, to);
    if (!this.notifyNow('write')) return;
    this.report(error.message);
    this.host.notify({ kind: 'failed', message: error.message });
  }

  /**
   * A promise nobody awaited failed (the daemon's `unhandledRejection` handler). A failed
   * write has already been rolled back by the store, so the state stays consistent; the
   * failure is logged, audited unless it was the disk itself, shown, and the supervisor goes on.
   */
  unhandled(reason: unknown): void {
    const message = reason instanceof Error ? reason.message : String(reason);
    this.report(`a background step failed: ${reason instanceof Error ? (reason.stack ?? message) : message}`);
    if (!(reason instanceof FileWriteError)) this.host.audit([{ actor: 'supervisor', kind: 'internal-error', details: { message } }]);
    if (this.notifyNow('unhandled')) this.host.notify({ kind: 'failed', message: `A background step failed: ${message.split('\n')[0]}` });
  }

  /**
   * Records something that has already happened (an agent exited, an agent started): nobody
   * can be refused it, so while the store cannot write (a full disk) it is tried again, from
   * the state as it is then, until it is recorded or the supervisor stops.
   */
  async recordFact(what: string, record: () => Promise<void>): Promise<void> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await record();
        return;
      } catch (e) {
        if (!(e instanceof StoreWriteError) || this.host.stopping()) throw e;
        if (delay === 250) this.report(`${what} is not recorded yet (${e.message}); trying again until it is`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
