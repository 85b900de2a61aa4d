import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { waitFor } from './wait.js';

/** The real Claude Code CLI, pinned in devDependencies. */
export const CLAUDE_BIN = resolve(import.meta.dirname, '../../node_modules/.bin/claude');

/** One block of a scripted model reply: text, or a tool call. */
export type Block = { text: string } | { tool: string; input: Record<string, unknown> };

/** A scripted reply: its blocks (computed from the request when a function), and optionally a gate it waits for. */
export interface Reply {
  blocks: Block[] | ((req: ModelRequest) => Block[]);
  /** The reply is held until this resolves, so a test can look at the agent mid-turn. */
  gate?: Promise<void>;
}

/** A Messages API request as the server received it. */
export interface ModelRequest {
  n: number;
  model: string;
  system: string;
  messages: { role: string; content: unknown }[];
  tools: string[];
  /** The whole body, for assertions on what the agent was told. */
  raw: string;
}

export interface ToolResult {
  toolUseId: string;
  /** The tool the model called. */
  tool: string;
  content: string;
  isError: boolean;
}

/**
 * A scripted Anthropic Messages API on 127.0.0.1: the agent's main-loop requests (those that
 * carry tools) get the queued replies in order, streamed as SSE the way the API does; other
 * requests (titles, summaries) get a short text. Every request is recorded, so a test can
 * assert what the agent was told, tool results included.
 */
export class ModelServer {
  readonly key = 'sk-ant-muster-test-0123456789abcdefghijklmn';
  readonly requests: ModelRequest[] = [];
  private readonly queue: Reply[] = [];
  private server: Server | null = null;
  private n = 0;
  private toolIds = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Queues replies for the next main-loop requests; without one the model says it is done. */
  reply(...replies: (Reply | Block[])[]): void {
    for (const r of replies) this.queue.push(Array.isArray(r) ? { blocks: r } : r);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Waits for a main-loop request that satisfies `pred`, printing what came on timeout. */
  waitForRequest(pred: (r: ModelRequest) => boolean, what: string, timeout = 90_000): Promise<ModelRequest> {
    return waitFor(() => this.requests.find(pred) ?? null, {
      timeout,
      interval: 100,
      what: `a model request with ${what}`,
      describe: () => this.requests.map((r) => `#${r.n}: ${r.raw.slice(-600)}`).join('\n'),
    });
  }

  /** Every tool result the agent sent back, in order; with `tool`, only that tool's. */
  toolResults(tool?: string): ToolResult[] {
    const seen = new Map<string, ToolResult>();
    const names = new Map<string, string>();
    for (const r of this.requests) {
      for (const m of r.messages) {
        if (!Array.isArray(m.content)) continue;
        for (const b of m.content as Record<string, unknown>[]) {
          if (b.type === 'tool_use') names.set(String(b.id), String(b.name));
          if (b.type !== 'tool_result') continue;
          const c = b.content;
          const text = typeof c === 'string' ? c : Array.isArray(c) ? c.map((x: { text?: string }) => x.text ?? '').join('') : '';
          seen.set(String(b.tool_use_id), {
            toolUseId: String(b.tool_use_id),
            tool: names.get(String(b.tool_use_id)) ?? '',
            content: text,
            isError: b.is_error === true,
          });
        }
      }
    }
    return [...seen.values()].filter((t) => tool === undefined || t.tool === tool);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages') || req.url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.startsWith('/v1/messages/count_tokens') ? '{"input_tokens": 100}' : '{}');
      return;
    }
    const j = JSON.parse(body) as { model: string; system?: unknown; messages: ModelRequest['messages']; tools?: { name: string }[] };
    const tools = (j.tools ?? []).map((t) => t.name);
    let blocks: Block[];
    if (tools.length) {
      const request: ModelRequest = { n: ++this.n, model: j.model, system: JSON.stringify(j.system ?? ''), messages: j.messages, tools, raw: body };
      this.requests.push(request);
      const reply = this.queue.shift();
      if (reply?.gate) await reply.gate;
      blocks = reply ? (typeof reply.blocks === 'function' ? reply.blocks(request) : reply.blocks) : [{ text: 'Nothing more to do.' }];
      // Claude Code connects MCP servers in the background and, until they are up, offers
      // WaitForMcpServers instead of their tools: do what a model does, then go on with the script.
      const pending = blocks.flatMap((b) => ('tool' in b && b.tool.startsWith('mcp__') && !tools.includes(b.tool) ? [b.tool.split('__')[1]!] : []));
      if (pending.length && tools.includes('WaitForMcpServers')) {
        this.queue.unshift({ blocks });
        blocks = [{ tool: 'WaitForMcpServers', input: { servers: [...new Set(pending)] } }];
      }
    } else {
      blocks = [{ text: 'Scripted title' }];
    }
    this.stream(res, j.model, blocks);
  }

  private stream(res: ServerResponse, model: string, blocks: Block[]): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    send('message_start', {
      message: {
        id: `msg_${this.n}_${Date.now()}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    });
    blocks.forEach((b, index) => {
      if ('text' in b) {
        send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
      } else {
        send('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_${++this.toolIds}`, name: b.tool, input: {} } });
        send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
      }
      send('content_block_stop', { index });
    });
    const toolUse = blocks.some((b) => 'tool' in b);
    send('message_delta', { delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
    send('message_stop', {});
    res.end();
  }
}

/** The text of a request's messages, for "was the agent told X" assertions. */
export function conversationText(r: ModelRequest): string {
  return JSON.stringify(r.messages);
}

/**
 * A HOME in which Claude Code starts straight into a session: onboarding done, the test key
 * approved, and every directory under `trusted` trusted (the repository and its worktrees).
 */
export function claudeHome(dir: string, key: string, trusted: string): string {
  const home = join(dir, 'claude-home');
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
      projects: { [trusted]: { hasTrustDialogAccepted: true } },
    }),
  );
  return home;
}

/**
 * The `claude` preset of a test repository: the real CLI against the scripted model, offline,
 * in a temporary HOME. As root Claude Code refuses to skip permissions, so edits are accepted
 * by mode and the muster tools by the settings muster generates.
 */
export function claudePresetYaml(model: ModelServer, home: string): string {
  const env = {
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: model.key,
    HOME: home,
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
  return [
    '  claude:',
    `    command: ${JSON.stringify(CLAUDE_BIN)}`,
    '    args: ["--permission-mode", "acceptEdits", "--", "{prompt}"]',
    `    env: ${JSON.stringify(env)}`,
  ].join('\n');
}
