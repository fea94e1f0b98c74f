// `pnpm engagement key create --org ID --name NAME [--scope import --scope read]` / `key list --org ID` /
// `key revoke --org ID --key KEY_ID`: the organisation's API keys from the command line (an operator's machine
// with DATABASE_URL). The secret is printed once, on stdout, by create; everything else goes to stderr or a table.
import { parseArgs } from "node:util";
import { isUuid } from "@engagement/auth";
import { API_KEY_SCOPES, type ApiKeyScope, createApiKey, createDb, findOrganization, listApiKeys, revokeApiKey } from "@engagement/db";
import type { CliEnv } from "../env.ts";
import { table } from "../format.ts";

export const KEY_USAGE = `usage: engagement key create --org ID --name NAME [--scope import|read ...]
       engagement key list --org ID
       engagement key revoke --org ID --key KEY_ID`;

function usage(message: string): number {
  console.error(`key: ${message}\n${KEY_USAGE}`);
  return 2;
}

/** Exit code: 0 done, 1 the key was not found, 2 a usage error. */
export async function keyCommand(env: CliEnv, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "create" && sub !== "list" && sub !== "revoke") return usage(`unknown subcommand "${sub ?? ""}"`);
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: "string" }, name: { type: "string" }, scope: { type: "string", multiple: true }, key: { type: "string" } },
    strict: true,
  });
  if (!values.org || !isUuid(values.org)) return usage("--org must be an organisation id (a UUID)");
  const scopes = (values.scope ?? ["import"]) as ApiKeyScope[];
  if (scopes.some((s) => !(API_KEY_SCOPES as readonly string[]).includes(s))) return usage(`--scope takes ${API_KEY_SCOPES.join(" or ")}`);
  if (sub === "create" && !values.name?.trim()) return usage("--name is required");
  if (sub === "revoke" && (!values.key || !isUuid(values.key))) return usage("--key must be a key id (a UUID, from key list)");

  const db = createDb(env.DATABASE_URL, { maxConnections: 2 });
  try {
    const orgId = values.org.toLowerCase();
    if (!(await findOrganization(db, orgId))) return usage(`no organisation with id ${values.org}`);
    if (sub === "create") {
      // No person acts here (the CLI runs with database access, not a token): the audit records no actor.
      const created = await createApiKey(db, { orgId, name: (values.name as string).trim(), scopes, actorId: null });
      console.log(created.key);
      console.error(
        `created key ${created.id} (${created.prefix}, scopes ${created.scopes.join(", ")}); store it now, it cannot be shown again`,
      );
      return 0;
    }
    if (sub === "list") {
      const keys = await listApiKeys(db, orgId);
      const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "-");
      console.log(
        table(
          ["id", "prefix", "name", "scopes", "created", "last used", "revoked"],
          keys.map((k) => [k.id, k.prefix, k.name, k.scopes.join(","), when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)]),
        ),
      );
      return 0;
    }
    const result = await revokeApiKey(db, { orgId, keyId: (values.key as string).toLowerCase(), actorId: null });
    if (result.status === "not_found") {
      console.error(`key: no key ${values.key} in this organisation`);
      return 1;
    }
    console.error(result.status === "revoked" ? `revoked ${result.key.prefix}` : `${result.key.prefix} was already revoked`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}
