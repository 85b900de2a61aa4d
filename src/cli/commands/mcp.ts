import type { Command } from 'commander';

/** `muster mcp`: the MCP server agent CLIs start (muster wires it for the claude, codex and gemini presets). */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('serve the muster tools (locks, shared context, status, done) over MCP on stdio, for the task of this worktree or MUSTER_TASK_ID')
    .action(async () => {
      const { runMcpServer } = await import('../../mcp/server.js');
      await runMcpServer();
    });
}
