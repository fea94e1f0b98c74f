// A real browser (Debian's chromium through playwright-core) logs into Bull Board over HTTP and sees the
// three queues and a completed org-run job. The job is enqueued through the API and completed by a BullMQ
// Worker on the test's own prefix. The browser is found by ./chromium.ts (CHROMIUM_PATH, Debian's chromium, or
// the build packaged in @sparticuz/chromium); without one this test FAILS on purpose, and `npm test` stops
// before the suite saying what to install: a silently skipped browser test would prove nothing.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_REDIS_URL } from "@engagement/db/testing";
import { createRedis, jobIds, QUEUE_NAMES } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { type Browser, chromium } from "playwright-core";
import { BOARD_PATH } from "../src/board.ts";
import { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
import { bearer, seedOrg, startTestApi, type TestApi } from "./harness.ts";

const TIMEOUT = 90_000;

describe("Bull Board in a browser", () => {
  let api: TestApi;
  let base: string;
  let browser: Browser | undefined;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;
  let runId: string;

  beforeAll(async () => {
    const executablePath = await findChromium();
    api = await startTestApi("browser");
    base = await api.app.listen({ host: "127.0.0.1", port: 0 });

    // A manual run through the API, completed by a worker with a stand-in processor: the board test is about
    // what the board shows, not about the org-run processor (the worker app tests that).
    const seeded = await seedOrg(api, "Browser");
    const res = await fetch(`${base}/v1/orgs/${seeded.org.id}/engagement/runs`, { method: "POST", headers: bearer(seeded.adminToken) });
    expect(res.status).toBe(202);
    runId = ((await res.json()) as { runId: string }).runId;
    workerRedis = createRedis(TEST_REDIS_URL);
    const w = new Worker(QUEUE_NAMES.orgRun, async () => ({ outcome: "completed" }), { connection: workerRedis, prefix: api.prefix });
    // Listening from the start: the worker may finish the job before any later line runs.
    const completed = new Promise((resolve) => w.on("completed", (job) => job.id === jobIds.orgRun(runId) && resolve(job.id)));
    w.on("error", () => {});
    worker = w;
    await expect(completed).resolves.toBe(jobIds.orgRun(runId));

    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await workerRedis?.quit();
    await api?.close();
  }, TIMEOUT);

  it(
    "refuses a browser without the operator login",
    async () => {
      const page = await (browser as Browser).newPage();
      const response = await page.goto(`${base}${BOARD_PATH}`);
      expect(response?.status()).toBe(401);
      expect(await page.textContent("body")).toContain("operator login needed");
      await page.close();
    },
    TIMEOUT,
  );

  it(
    "logs in with ?token=, drops the token from the address bar, and shows the three queues and the completed run, the security policy blocking nothing",
    async () => {
      const operator = await api.token({ sub: "ops-oncall", role: "operator" }, 600);
      const context = await (browser as Browser).newContext();
      const page = await context.newPage();
      // The API's Content-Security-Policy (security-headers.ts) must not block anything the board needs.
      const blocked: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) blocked.push(msg.text());
      });
      await page.goto(`${base}${BOARD_PATH}?token=${operator}`);
      expect(page.url()).toBe(`${base}${BOARD_PATH}`);
      const cookies = await context.cookies();
      expect(cookies).toEqual([
        expect.objectContaining({ name: "engagement_board", httpOnly: true, sameSite: "Strict", path: BOARD_PATH }),
      ]);

      for (const name of Object.values(QUEUE_NAMES)) {
        await page.getByText(name, { exact: false }).first().waitFor({ timeout: 20_000 });
      }

      await page.goto(`${base}${BOARD_PATH}/queue/${QUEUE_NAMES.orgRun}?status=completed`);
      await page.getByText(jobIds.orgRun(runId), { exact: false }).first().waitFor({ timeout: 20_000 });
      const dir = join(tmpdir(), "engagement-api-browser");
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, "bull-board-completed-run.png"), fullPage: true });
      expect(blocked).toEqual([]);
      await context.close();
    },
    TIMEOUT,
  );
});
