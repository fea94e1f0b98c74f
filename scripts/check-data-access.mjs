// Only the data package talks to Prisma. dependency-cruiser sees imports, not calls: `Db` is the Prisma client's
// type, so an app could still call `db.engagementRun.findMany(...)` on the client it was handed. This finds such
// calls in source files outside packages/db (tests may read the database directly to assert what was written):
// a model or raw-query member reached by `.`, by `["..."]` or by destructuring, across line breaks too.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const MODELS = [
  "organization",
  "user",
  "membership",
  "event",
  "registration",
  "memberEngagement",
  "engagementOverrideHistory",
  "engagementSnapshot",
  "engagementRun",
  "erasure",
  "erasureTombstone",
  "deploymentSecret",
];
const RAW = ["\\$queryRaw", "\\$executeRaw", "\\$queryRawUnsafe", "\\$executeRawUnsafe", "\\$transaction"];
const member = `(?:${MODELS.join("|")})`;
const PATTERNS = [
  // db.engagementRun.findMany(  db\n  .engagementRun\n  .findMany(
  new RegExp(`\\.\\s*${member}\\s*\\.\\s*\\w+\\s*\\(`),
  // db["engagementRun"]
  new RegExp(`\\[\\s*["'\`]${member}["'\`]\\s*\\]`),
  // const { engagementRun } = db
  new RegExp(`\\{[^}]*\\b${member}\\b[^}]*\\}\\s*=\\s*(?:\\w+\\.)*(?:db|tx|prisma)\\b`),
  // db.$queryRaw`...`, tx.$transaction(...)
  new RegExp(`\\.\\s*(?:${RAW.join("|")})\\b`),
];

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["node_modules", "generated", "test", "testing"].includes(entry.name)) yield* sources(path);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) yield path;
  }
}

const found = [];
for (const top of ["apps", "packages"]) {
  for (const file of sources(join(ROOT, top))) {
    const rel = relative(ROOT, file);
    if (rel.startsWith("packages/db/")) continue;
    const text = readFileSync(file, "utf8");
    for (const pattern of PATTERNS) {
      const match = pattern.exec(text);
      if (match) found.push(`${rel}:${text.slice(0, match.index).split("\n").length}: ${match[0].replace(/\s+/g, " ")}`);
    }
  }
}
if (found.length > 0) {
  console.error(`✗ Prisma calls outside the data package (add a named read or write to packages/db instead):\n${found.join("\n")}`);
  process.exit(1);
}
console.log("✓ no Prisma calls outside the data package");
