import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { connect } from '../client/connect.js';
import { packageVersion } from '../paths/package-root.js';
import { errorText, MUSTER_TOOLS, type Call, type MusterTool } from './tools.js';

/** Each tool call is its own short connection: a restarted supervisor is simply reached again. */
const call: Call = async (method, params) => {
  const { client } = await connect();
  try {
    return await client.call(method, params);
  } finally {
    client.close();
  }
};

/**
 * `muster mcp`: the muster tools over MCP on stdio (server name `muster`), acting for the task
 * of the worktree it runs in or MUSTER_TASK_ID, through the supervisor like every other client.
 */
export async function runMcpServer(): Promise<void> {
  const server = new McpServer({ name: 'muster', version: packageVersion() });
  for (const t of MUSTER_TOOLS as readonly MusterTool[]) {
    server.registerTool(t.name, { description: t.description, inputSchema: t.input }, async (args: Record<string, unknown>) => {
      try {
        const r = await t.run(args as never, call);
        return { content: [{ type: 'text' as const, text: r.text }], ...(r.isError ? { isError: true } : {}) };
      } catch (e) {
        const r = errorText(e);
        return { content: [{ type: 'text' as const, text: r.text }], isError: true };
      }
    });
  }
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
}
