// `pnpm engagement run [--org ID | --all] [--force] [--wait] [--json]`: manual runs through the queues.

import { isUuid } from "@engagement/auth";
import { createDb, findOrganization, getOrganizationNames, listOrgIdsWithActiveMembers } from "@engagement/db";
import { closeQueues, connectRedis, createQueues, normalizePrefix } from "@engagement/queue";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { CliEnv } from "../env.ts";
import { runSummaries, summaryTable, watchRuns } from "./watch.ts";

export interface RunArgs {
  org?: string | undefined;
  all: boolean;
  force: boolean;
  wait: boolean;
  json: boolean;
  timeoutMs?: number;
}

export async function runCommand(env: CliEnv, args: RunArgs): Promise<number> {
  if (!args.org === !args.all) {
    console.error("run: give exactly one of --org <id> or --all");
    return 2;
  }
  const db = createDb(env.DATABASE_URL, { maxConnections: 3 });
  const connection = connectRedis(env.REDIS_URL);
  const queues = createQueues(connection, normalizePrefix(env.QUEUE_PREFIX));
  try {
    let orgIds: string[];
    if (args.org) {
      // A malformed id is the caller's mistake; a database error is not, and must not read as "not found".
      if (!isUuid(args.org)) {
        console.error(`run: --org must be an organisation id (a UUID), got "${args.org}"`);
        return 2;
      }
      const org = await findOrganization(db, args.org);
      if (!org) {
        console.error(`run: no organisation with id ${args.org}`);
        return 2;
      }
      orgIds = [org.id];
    } else orgIds = await listOrgIdsWithActiveMembers(db);
    if ((await queues.orgRun.getWorkers()).length === 0) {
      console.error("run: note: no worker is connected; the runs wait until one starts (pnpm dev:worker).");
    }
    const runs = [];
    for (const orgId of orgIds) {
      const run = await enqueueOrgRun(db, queues, { orgId, trigger: "manual", force: args.force });
      if (run.alreadyActive) console.error(`run: org ${orgId} already has run ${run.runId} in progress; following that one`);
      runs.push(run);
    }
    if (!args.wait) {
      if (args.json) console.log(JSON.stringify(runs, null, 2));
      else for (const r of runs) console.log(`enqueued run ${r.runId} for org ${r.orgId}`);
      return 0;
    }
    const runIds = runs.map((r) => r.runId);
    await watchRuns(db, runIds, await getOrganizationNames(db, orgIds), { quiet: args.json, timeoutMs: args.timeoutMs ?? 3_600_000 });
    const summaries = await runSummaries(db, runIds);
    console.log(args.json ? JSON.stringify(summaries, null, 2) : summaryTable(summaries));
    return summaries.some((s) => s.status !== "completed") ? 1 : 0;
  } finally {
    await closeQueues(queues);
    connection.disconnect();
    await db.$disconnect();
  }
}
