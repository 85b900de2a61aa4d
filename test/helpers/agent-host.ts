import { afterAll, beforeAll } from 'vitest';
import { startAgentHost, stopHostWorkers, type SshHost } from './sshd.js';

/**
 * The ssh host that runs agents for the tests of a describe block: started before them; its
 * workers (of these work directories) and its server stopped after them. Returns the host as a getter.
 */
export function agentHostForTests(dirs: readonly string[] = ['work']): () => SshHost {
  let host: SshHost | undefined;
  beforeAll(async () => {
    host = await startAgentHost();
  });
  afterAll(() => {
    stopHostWorkers(host, dirs);
    host?.stop();
  });
  return () => {
    if (!host) throw new Error('the agent host is started before the tests (beforeAll)');
    return host;
  };
}
