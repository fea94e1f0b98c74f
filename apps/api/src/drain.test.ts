// A request in flight when the API starts closing is answered, and its kept-alive connection then ends, so the
// close completes at once instead of waiting out the keep-alive timeout (72 s) past the shutdown deadline.
import { describe, expect, it } from "@jest/globals";
import Fastify from "fastify";
import { closeConnectionsWhenDraining } from "./drain.ts";

describe("closeConnectionsWhenDraining", () => {
  it("answers the request in flight with Connection: close, and the close completes right after", async () => {
    const app = Fastify();
    closeConnectionsWhenDraining(app);
    let answer: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let received: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    app.get("/slow", async () => {
      received();
      await held;
      return { ok: true };
    });
    // Answered once the close has begun (a hook added after the one under test runs after it).
    app.addHook("preClose", async () => answer());
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    // fetch keeps its connection alive, as a load balancer or the CLI does.
    const inFlight = fetch(`${address}/slow`);
    await arrived;
    const closing = app.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    const closed = await Promise.race([closing.then(() => true), new Promise((r) => setTimeout(() => r(false), 2_000).unref())]);
    expect(closed).toBe(true);
  });
});
