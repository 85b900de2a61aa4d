import type { MusterClient } from '../client/client.js';
import { connect } from '../client/connect.js';

/** Runs one command against the supervisor (starting it if needed) and always disconnects. */
export async function withClient<T>(fn: (client: MusterClient) => Promise<T>, opts: { autostart?: boolean } = {}): Promise<T> {
  const { client } = await connect({ autostart: opts.autostart ?? true });
  try {
    return await fn(client.fewCalls());
  } finally {
    client.close({ linger: false });
  }
}
