import type { EventMessage } from '../protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import { taskViewSchema, type TaskView } from '../protocol/shapes.js';
import type { TopicName } from '../protocol/topics.js';
import type { Link, LinkClient, LinkState } from './resilient-client.js';

/** One repository of a fleet: its name in the header and its own link to its own supervisor. */
export interface FleetMember {
  name: string;
  client: Link;
}

/** What the header shows of each repository. */
export interface RepoSummary {
  name: string;
  link: 'up' | 'lost';
  /** Why it is lost, and when it retries. */
  message: string | null;
  /** Null until its status has been read. */
  counts: { running: number; waiting: number; review: number; failed: number } | null;
}

type Brief = Pick<TaskView, 'state' | 'activity'>;

/** What every repository is followed for: the header's counts, and notifications that ring from anywhere. */
const BACKGROUND_TOPICS: readonly TopicName[] = ['task', 'notify'];

/**
 * Several repositories behind one client: the cockpit talks to "the current repository" and
 * every request goes to that repository's own supervisor. Each repository keeps its own
 * connection; the fleet follows every one's tasks (for the counts in the header) and passes on
 * only the current one's events, and from the others only their notifications (an agent
 * waiting for input elsewhere still rings). Only the current one is subscribed to what the
 * views follow; switching moves those subscriptions and drops the old repository's pane
 * watches, so it stops streaming what nobody sees.
 */
export class FleetClient implements LinkClient {
  private currentIndex = 0;
  private readonly tasks: Map<number, Brief>[];
  private readonly watched: Set<number>[];
  private readonly known: boolean[];
  private readonly eventListeners = new Set<(e: EventMessage) => void>();
  private readonly disconnectListeners = new Set<() => void>();
  private readonly summaryListeners = new Set<() => void>();
  private readonly disposers: (() => void)[] = [];
  /** What the cockpit subscribed to: the repository shown follows all of it. */
  private readonly viewTopics = new Set<TopicName>();

  constructor(readonly members: readonly FleetMember[]) {
    if (!members.length) throw new Error('a fleet needs at least one repository');
    this.tasks = members.map(() => new Map());
    this.watched = members.map(() => new Set());
    this.known = members.map(() => false);
    members.forEach((m, i) => {
      this.disposers.push(
        m.client.onEvent((e) => this.onMemberEvent(i, e)),
        m.client.onDisconnect(() => {
          if (i === this.currentIndex) for (const l of this.disconnectListeners) l();
          this.changed();
        }),
        m.client.onState((s) => {
          if (s.kind === 'up') void this.load(i);
          this.changed();
        }),
      );
    });
  }

  /** Follows every repository's tasks; the ones whose link is down are read when it is back. */
  async start(): Promise<void> {
    await Promise.all(
      this.members.map(async (m, i) => {
        await m.client.call('subscribe', { topics: [...BACKGROUND_TOPICS] }).catch(() => undefined);
        await this.load(i);
      }),
    );
  }

  get current(): number {
    return this.currentIndex;
  }

  get currentMember(): FleetMember {
    return this.members[this.currentIndex]!;
  }

  linkOf(i: number): LinkState {
    return this.members[i]!.client.state;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const i = this.currentIndex;
    const client = this.members[i]!.client;
    if (method === 'subscribe') {
      for (const t of (params as ParamsOf<'subscribe'>).topics) this.viewTopics.add(t);
    } else if (method === 'term.watch') this.watched[i]!.add((params as ParamsOf<'term.watch'>).task);
    else if (method === 'term.unwatch') this.watched[i]!.delete((params as ParamsOf<'term.unwatch'>).task);
    return client.call(method, params);
  }

  onEvent(listener: (e: EventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /** The counts or link of some repository changed. */
  onSummary(listener: () => void): () => void {
    this.summaryListeners.add(listener);
    return () => this.summaryListeners.delete(listener);
  }

  /** Makes repository `index` the current one; its events flow from now on. */
  switchTo(index: number): void {
    const n = this.members.length;
    const next = ((index % n) + n) % n;
    if (next === this.currentIndex) return;
    const old = this.currentIndex;
    for (const task of this.watched[old]!) void this.members[old]!.client.call('term.unwatch', { task }).catch(() => undefined);
    this.watched[old]!.clear();
    // The one shown gets what the views follow; the one left keeps only what the header needs.
    const extra = [...this.viewTopics].filter((t) => !BACKGROUND_TOPICS.includes(t));
    if (extra.length) void this.members[old]!.client.call('unsubscribe', { topics: extra }).catch(() => undefined);
    if (this.viewTopics.size) void this.members[next]!.client.call('subscribe', { topics: [...this.viewTopics] }).catch(() => undefined);
    this.currentIndex = next;
    this.changed();
  }

  summary(): RepoSummary[] {
    return this.members.map((m, i) => {
      const s = m.client.state;
      const counts = { running: 0, waiting: 0, review: 0, failed: 0 };
      for (const t of this.tasks[i]!.values()) {
        if (t.state === 'running') counts.running++;
        if (t.state === 'running' && t.activity === 'waiting-input') counts.waiting++;
        if (t.state === 'review' || t.state === 'merging') counts.review++;
        if (t.state === 'failed' || t.state === 'stalled') counts.failed++;
      }
      return { name: m.name, link: s.kind === 'up' ? 'up' : 'lost', message: s.kind === 'lost' ? s.message : null, counts: this.known[i] ? counts : null };
    });
  }

  close(): void {
    for (const d of this.disposers) d();
    for (const m of this.members) m.client.close();
  }

  private async load(i: number): Promise<void> {
    try {
      const status = await this.members[i]!.client.call('status', {});
      const map = this.tasks[i]!;
      map.clear();
      for (const t of status.tasks) map.set(t.id, { state: t.state, activity: t.activity });
      this.known[i] = true;
      this.changed();
    } catch {
      // Down: its state says so, and it is read again when it is back.
    }
  }

  private onMemberEvent(i: number, e: EventMessage): void {
    if (e.topic === 'task') {
      const t = taskViewSchema.safeParse(e.data);
      if (t.success) {
        this.tasks[i]!.set(t.data.id, { state: t.data.state, activity: t.data.activity });
        this.changed();
      }
    }
    if (i === this.currentIndex) {
      for (const l of this.eventListeners) l(e);
    } else if (e.topic === 'notify') {
      const n = e.data as { message?: unknown };
      const data = { ...(e.data as object), message: `${this.members[i]!.name}: ${typeof n.message === 'string' ? n.message : 'something needs you'}` };
      for (const l of this.eventListeners) l({ ...e, data });
    }
  }

  private changed(): void {
    for (const l of this.summaryListeners) l();
  }
}
