import * as z from 'zod/mini';
import { wireErrorSchema } from './errors.js';
import { callerSchema } from './methods.js';

// Built on first use (z.lazy): a client checks replies and events, the supervisor requests.

/** Client -> supervisor: one request, answered by exactly one reply with the same id. */
export const requestSchema = z.lazy(() =>
  z.object({
    t: z.literal('req'),
    id: z.int(),
    method: z.string(),
    params: z.unknown(),
    caller: z.optional(callerSchema),
  }),
);
export type Request = z.infer<typeof requestSchema>;

export const replySchema = z.lazy(() =>
  z.union([
    z.object({ t: z.literal('res'), id: z.int(), ok: z.literal(true), result: z.unknown() }),
    z.object({ t: z.literal('res'), id: z.int(), ok: z.literal(false), error: wireErrorSchema }),
  ]),
);
export type Reply = z.infer<typeof replySchema>;

/** Supervisor -> client, unasked, after `subscribe`: something changed. */
export const eventSchema = z.lazy(() =>
  z.object({
    t: z.literal('evt'),
    topic: z.string(),
    data: z.unknown(),
  }),
);
export type EventMessage = z.infer<typeof eventSchema>;

export const serverMessageSchema = z.lazy(() => z.union([replySchema, eventSchema]));
export type ServerMessage = z.infer<typeof serverMessageSchema>;
