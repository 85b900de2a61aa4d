import type { AgentRuntime } from './agent-runtime.js';
import type { AgentSessions } from './agent-sessions.js';
import type { ConflictScanner } from './conflict-scanner.js';
import type { ContextService } from './context-service.js';
import type { Dispatcher } from './dispatcher.js';
import type { LockManager } from './lock-manager.js';
import type { MergeManager } from './merge-manager.js';
import type { ProcessWarden } from './process-warden.js';
import type { StateCell } from './state-cell.js';

/**
 * The supervisor's services as the daemon wired them (`wireServices` in daemon.ts), for the
 * request handlers. Each service gets only the ones it uses; nothing here imports back.
 */
export interface Services {
  cell: StateCell;
  warden: ProcessWarden;
  runtime: AgentRuntime;
  sessions: AgentSessions;
  locks: LockManager;
  context: ContextService;
  merges: MergeManager;
  scanner: ConflictScanner;
  dispatcher: Dispatcher;
}
