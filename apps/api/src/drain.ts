// Shutdown of the HTTP server. Fastify's close stops accepting connections, answers a request arriving on a kept-alive
// connection with 503 and "Connection: close", and waits for every connection to end. A request already in flight when
// the close begins is answered normally, but nothing closes its connection afterwards: it stayed open for Fastify's
// 72 s keep-alive timeout, so the API waited for it until its shutdown deadline and exited 1 (measured by
// apps/worker/test/faults/sigterm-under-load.test.ts). Once the close has begun, each answer ends its connection.
import type { FastifyInstance } from "fastify";

export function closeConnectionsWhenDraining(app: FastifyInstance): void {
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  app.addHook("onSend", async (_req, reply, payload) => {
    if (draining) reply.header("connection", "close");
    return payload;
  });
}
