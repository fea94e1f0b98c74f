// `pnpm engagement erase --user ID [--org ID]` / `erase --email EMAIL` / `erase list [--org ID] [--json]` /
// `erase lift --id ERASURE_ID`: erasure of a person from an operator's machine (DATABASE_URL and REDIS_URL).
// Without --org the person is erased everywhere; with --org only from that organisation, under the same rules
// as its admins (the person belongs to it only, and is not its last active admin). The CLI acts as no person,
// so the erasure records no actor. Output names ids and counts only, never the person.
import { parseArgs } from "node:util";
import { isUuid } from "@engagement/auth";
import { createDb, type Db, type ErasureInfo, ErasureRefusedError, findUserIdByEmail, liftErasure, listErasures } from "@engagement/db";
import { closeQueues, connectRedis, createQueues, normalizePrefix } from "@engagement/queue";
import { erasePersonAndCopies } from "@engagement/use-cases";
import { z } from "zod";
import type { CliEnv } from "../env.ts";
import { table } from "../format.ts";

export const ERASE_USAGE = `usage: engagement erase --user USER_ID [--org ORG_ID]
       engagement erase --email EMAIL
       engagement erase list [--org ORG_ID] [--json]
       engagement erase lift --id ERASURE_ID`;

function usage(message: string): number {
  console.error(`erase: ${message}\n${ERASE_USAGE}`);
  return 2;
}

const Email = z.string().trim().max(320).pipe(z.email());

/** Exit code: 0 done, 1 unknown person or erasure, or an erasure refused; 2 a usage error. */
export async function eraseCommand(env: CliEnv, argv: string[]): Promise<number> {
  const sub = argv[0] === "list" || argv[0] === "lift" ? argv[0] : "erase";
  const { values } = parseArgs({
    args: sub === "erase" ? argv : argv.slice(1),
    options: {
      user: { type: "string" },
      email: { type: "string" },
      org: { type: "string" },
      id: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.org !== undefined && !isUuid(values.org)) return usage("--org must be an organisation id (a UUID)");
  const orgId = values.org?.toLowerCase() ?? null;
  if (sub === "lift") {
    if (!values.id || !isUuid(values.id)) return usage("--id must be an erasure id (a UUID, from erase list)");
    return withDb(env, (db) => lift(db, values.id!.toLowerCase()));
  }
  if (sub === "list") return withDb(env, (db) => list(db, orgId, values.json ?? false));

  if ((values.user === undefined) === (values.email === undefined)) return usage("give --user or --email (one of them)");
  if (values.user !== undefined && !isUuid(values.user)) return usage("--user must be a user id (a UUID)");
  const email = values.email === undefined ? null : Email.safeParse(values.email);
  if (email && !email.success) return usage("--email is not an email address");
  if (email && orgId) return usage("--email erases everywhere; use --user with --org");

  return withDb(env, async (db) => {
    const userId = email?.data ? await findUserIdByEmail(db, email.data) : values.user!.toLowerCase();
    if (!userId) {
      console.error("erase: no person with this email");
      return 1;
    }
    const connection = connectRedis(env.REDIS_URL);
    const queues = createQueues(connection, normalizePrefix(env.QUEUE_PREFIX));
    try {
      const result = await erasePersonAndCopies({ db, queues }, { userId, orgId, actorId: null });
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(result.erasureId);
        const counts = Object.entries(result.counts).map(([k, n]) => `${k} ${n}`);
        console.error(`erased ${orgId ? `from organisation ${orgId}` : "everywhere"}: ${counts.join(", ")}`);
        for (const org of result.orgsLeftWithoutAdmin) console.error(`organisation ${org} has no active admin now`);
      }
      return 0;
    } catch (err) {
      if (!(err instanceof ErasureRefusedError)) throw err;
      console.error(
        `erase: ${err.reason === "not_found" ? (orgId ? "no such member of this organisation" : "no such person") : err.message}`,
      );
      return 1;
    } finally {
      await closeQueues(queues);
      connection.disconnect();
    }
  });
}

async function withDb(env: CliEnv, work: (db: Db) => Promise<number>): Promise<number> {
  const db = createDb(env.DATABASE_URL, { maxConnections: 2 });
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}

async function list(db: Db, orgId: string | null, json: boolean): Promise<number> {
  const items = await listErasures(db, { limit: 500, orgId: orgId ?? undefined });
  if (json) {
    console.log(JSON.stringify(items, null, 2));
    return 0;
  }
  const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "-");
  const removed = (e: ErasureInfo) => `${e.counts.memberships ?? 0} memberships, ${e.counts.tombstones ?? 0} tombstones`;
  console.log(
    table(
      ["id", "scope", "created", "removed", "lifted"],
      items.map((e) => [e.id, e.orgId ?? "everywhere", when(e.createdAt), removed(e), when(e.liftedAt)]),
    ),
  );
  return 0;
}

async function lift(db: Db, erasureId: string): Promise<number> {
  const result = await liftErasure(db, { erasureId, actorId: null });
  if (result.status === "not_found") {
    console.error(`erase lift: no erasure ${erasureId}`);
    return 1;
  }
  console.error(result.status === "lifted" ? `lifted ${erasureId}: the person may be imported again` : `${erasureId} was already lifted`);
  return 0;
}
