// The API as its own process, the way `pnpm dev:api` runs it: main.ts reads the environment, connects, listens,
// serves over real HTTP, and on SIGTERM shuts down through its shutdown steps and exits 0.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { signToken } from "@engagement/auth";
import {
  buildMember,
  buildMemberEngagement,
  buildOrg,
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
} from "@engagement/db/testing";
import { closeQueues, createQueues, createRedis } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "e2e-secret-for-the-api-process-0123456789";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`api did not become healthy:\n${output()}`);
}

describe("API process", () => {
  let database: TestDatabase;
  let child: ChildProcess;
  let base: string;
  let log = "";
  const prefix = `{test-api-e2e-${randomBytes(4).toString("hex")}}`;

  beforeAll(async () => {
    database = await createTestDatabase("api_e2e");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { NODE_OPTIONS: _jestFlags, ...env } = process.env;
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: APP_DIR,
      env: {
        ...env,
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        API_HOST: "127.0.0.1",
        API_PORT: String(port),
        API_JWT_SECRET: SECRET,
        LOG_LEVEL: "info",
        SHUTDOWN_TIMEOUT_MS: "10000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => (log += d));
    child.stderr?.on("data", (d) => (log += d));
    await waitForHealth(base, child, () => log);
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    const redis = createRedis(TEST_REDIS_URL);
    const queues = createQueues(redis, prefix);
    await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
    await closeQueues(queues);
    await redis.quit();
    await database.drop();
  }, 60_000);

  it("serves an admin's override over HTTP and logs requests without the token", async () => {
    const org = await buildOrg(database.db);
    const admin = (await buildMember(database.db, org.id, { role: "admin" })).user;
    const member = (await buildMember(database.db, org.id)).user;
    await buildMemberEngagement(database.db, { orgId: org.id, userId: member.id, level: "at_risk" });
    const token = await signToken(SECRET, { sub: admin.id, org: org.id, role: "admin" }, 600);
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

    const put = await fetch(`${base}/v1/orgs/${org.id}/members/${member.id}/engagement/override`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ level: "moderate", note: "checked with the member" }),
    });
    expect(put.status).toBe(200);
    const list = (await (await fetch(`${base}/v1/orgs/${org.id}/engagement`, { headers })).json()) as { items: { level: string }[] };
    expect(list.items.map((i) => i.level)).toEqual(["moderate"]);

    const operator = await signToken(SECRET, { sub: "ops", role: "operator" }, 600);
    const login = await fetch(`${base}/admin/queues?token=${operator}`, { redirect: "manual" });
    expect(login.status).toBe(303);
    // The request line is logged after the response is sent: wait for it rather than for a fixed time.
    for (let i = 0; i < 100 && !log.includes("/admin/queues?token="); i++) await new Promise((r) => setTimeout(r, 20));
    expect(log).toContain('"url":"/admin/queues?token=[redacted]"');
    expect(log).not.toContain(operator);
    expect(log).not.toContain(token);

    // Credentials in other query parameters (a client that puts its token in ?access_token=) are redacted too.
    const probe = await fetch(`${base}/v1/orgs/${org.id}/engagement?access_token=${token}&api_key=${operator}&limit=1`, { headers });
    expect(probe.status).toBe(200);
    for (let i = 0; i < 100 && !log.includes("access_token="); i++) await new Promise((r) => setTimeout(r, 20));
    expect(log).toContain("?access_token=[redacted]&api_key=[redacted]&limit=1");
    expect(log).not.toContain(operator);
    expect(log).not.toContain(token);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(log).toContain("shutdown complete");
  }, 30_000);
});
