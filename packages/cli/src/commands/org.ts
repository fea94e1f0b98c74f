// `pnpm engagement org create --name NAME [--slug SLUG] --admin-email EMAIL --admin-name NAME`: a new organisation
// with its first admin, created the way the API's POST /v1/orgs creates one. Prints the organisation's id.
import { parseArgs } from "node:util";
import { createDb, createOrganizationWithAdmin, SLUG_PATTERN, slugify } from "@engagement/db";
import { z } from "zod";
import type { CliEnv } from "../env.ts";

export const ORG_USAGE = "usage: engagement org create --name NAME [--slug SLUG] --admin-email EMAIL --admin-name NAME";

const Args = z.object({
  name: z.string().trim().min(1, "--name is required").max(200),
  slug: z.string().regex(SLUG_PATTERN, "--slug takes lower-case letters, digits and single hyphens").max(60).optional(),
  "admin-email": z
    .string({ error: "--admin-email is required" })
    .trim()
    .pipe(z.email({ error: "--admin-email is not an email address" })),
  "admin-name": z.string({ error: "--admin-name is required" }).trim().min(1, "--admin-name is required").max(200),
});

/** Exit code: 0 created, 1 the slug is taken, 2 a usage error. */
export async function orgCommand(env: CliEnv, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "create") {
    console.error(ORG_USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { name: { type: "string" }, slug: { type: "string" }, "admin-email": { type: "string" }, "admin-name": { type: "string" } },
    strict: true,
  });
  const parsed = Args.safeParse({ ...values, name: values.name ?? "" });
  if (!parsed.success) {
    console.error(`org create: ${parsed.error.issues.map((i) => i.message).join("; ")}\n${ORG_USAGE}`);
    return 2;
  }
  const { name, "admin-email": email, "admin-name": adminName } = parsed.data;
  const slug = parsed.data.slug ?? slugify(name);
  if (!slug) {
    console.error(`org create: the name gives no usable slug; pass --slug\n${ORG_USAGE}`);
    return 2;
  }
  const db = createDb(env.DATABASE_URL, { maxConnections: 2 });
  try {
    const created = await createOrganizationWithAdmin(db, { name, slug, admin: { email, name: adminName } });
    if (created.status === "slug_taken") {
      console.error(`org create: the slug "${slug}" is taken; pass another with --slug`);
      return 1;
    }
    console.log(created.orgId);
    console.error(
      `created ${name} (slug ${created.slug}); admin ${created.adminUserId}${created.adminWasKnown ? " (an existing user)" : ""}`,
    );
    return 0;
  } finally {
    await db.$disconnect();
  }
}
