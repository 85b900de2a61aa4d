import { dirname, join } from 'node:path';
import {
  choosesSessionId,
  integrationOf,
  integrationPlan,
  sessionIdProblem,
  type AgentIntegration,
  type IntegrationPlan,
  type SessionPlan,
} from '../core/agent-integration.js';
import { promptDocument } from '../core/agent-launch.js';
import { resumeMessage, swarmBrief, type BriefTools } from '../core/swarm-brief.js';
import { conversationOf, type Conversation, type Task } from '../core/task.js';
import type { AgentPreset } from '../config/schema.js';
import type { StateCell } from './state-cell.js';
import { pathExists, writeText } from '../adapters/fs/files.js';
import { newUuid } from '../adapters/proc/random-id.js';

/** What one launch of an agent reads and how it is wired, decided before anything is spawned. */
export interface AgentWiring {
  kind: AgentIntegration | null;
  tools: BriefTools;
  /** PROMPT.md: the brief, the hand-off, the prompt and the feedback, always whole. */
  document: string;
  /** What `{prompt}` carries: the document, or the new message of a resumed conversation. */
  prompt: string;
  plan: IntegrationPlan | null;
  session: SessionPlan | null;
  /** The conversation this launch starts or resumes, as it is once the agent runs (everything in `prompt` told). */
  conversation: Conversation | null;
}

/**
 * Decides how a task's agent starts: with muster's integration for its CLI (unless the preset
 * or the task turns it off), resuming the preset's earlier conversation when one can be
 * resumed, else fresh with a session id muster chooses and records.
 */
export function wireAgent(
  sup: StateCell,
  task: Task,
  promptText: string,
  preset: AgentPreset,
  promptFile: string,
  handoff: string | null,
  /** On another host: its own `muster` and the copy of the shared context beside the prompt there. */
  far: { muster: string; contextFile: string } | null = null,
): AgentWiring {
  const kind = task.integration ? integrationOf(preset) : null;
  const tools: BriefTools = kind ? 'mcp' : 'cli';
  const brief = swarmBrief({ task, locks: sup.state.locks, contextFile: far?.contextFile ?? sup.contextFile, promptFile, tools });
  const document = promptDocument({ ...task, prompt: promptText }, handoff, brief);
  const previous = kind && preset.resume ? conversationOf(task, task.agent) : null;
  const now = sup.now();
  let session: SessionPlan | null = null;
  let prompt = document;
  let conversation: Conversation | null = null;
  if (previous && resumable(previous, kind)) {
    session = { mode: 'resume', id: previous.id };
    prompt = resumeMessage({ taskId: task.id, newFeedback: task.feedback.slice(previous.feedbackSeen), handoff, promptFile, tools });
    conversation = { ...previous, feedbackSeen: task.feedback.length };
  } else if (kind && choosesSessionId(kind)) {
    session = { mode: 'new', id: newUuid() };
    conversation = { agent: task.agent, kind, id: session.id, transcript: null, startedAt: now, feedbackSeen: task.feedback.length };
  }
  const dir = dirname(promptFile);
  const plan = kind
    ? integrationPlan({
        kind,
        taskId: task.id,
        brief,
        muster: [far?.muster ?? join(sup.shimDir, 'muster')],
        settingsFile: join(dir, `${kind}-settings.json`),
        mcpConfigFile: join(dir, 'mcp.json'),
        session,
      })
    : null;
  return { kind, tools, document, prompt, plan, session, conversation };
}

/** Writes the integration's generated files into the task's state directory. */
export function writeWiringFiles(plan: IntegrationPlan | null): void {
  for (const f of plan?.files ?? []) {
    writeText(f.path, f.content, 0o600);
  }
}

/**
 * The task's conversations once its agent has started: the one this launch began or resumed,
 * with what it was told. Only then: feedback a failed start never delivered stays untold for the
 * next. A transcript the agent's session hook reported meanwhile is kept.
 */
export function startedConversations(current: readonly Conversation[], wired: Conversation | null): Conversation[] | null {
  if (!wired) return null;
  const now = current.find((c) => c.agent === wired.agent);
  const next = now && now.id === wired.id ? { ...wired, transcript: now.transcript ?? wired.transcript } : wired;
  return [...current.filter((c) => c.agent !== wired.agent), next];
}

/**
 * The task's conversations after its agent could not be started at all (exec failed): the one
 * this launch would have begun or resumed goes back to what it was, so its feedback is told next time.
 */
export function unstartedConversations(current: readonly Conversation[], wired: Conversation | null, before: Conversation | null): Conversation[] | null {
  if (!wired) return null;
  const now = current.find((c) => c.agent === wired.agent);
  if (!now || now.id !== wired.id) return null;
  return [...current.filter((c) => c.agent !== wired.agent), ...(before ? [before] : [])];
}

/**
 * Whether a recorded conversation can be resumed: it belongs to this CLI (a preset switched
 * from claude to codex does not hand codex a claude session), its id is one of that CLI's, and
 * its CLI reported where the transcript is and it is still there (resuming a conversation the
 * CLI never saved fails at once). Codex reports only the id, from its first finished turn.
 */
function resumable(c: Conversation, kind: AgentIntegration | null): boolean {
  if (kind === null || c.kind !== kind || sessionIdProblem(kind, c.id) !== null) return false;
  if (c.transcript === null) return kind === 'codex';
  return pathExists(c.transcript);
}
