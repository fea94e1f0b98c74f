import { createDb, generateSeed, insertSeedOrg, truncateAll } from "../src/index.ts";

const db = createDb("postgresql://postgres@127.0.0.1:5432/engagement_scratch");
await truncateAll(db);
const t = Date.now();
let regs = 0;
for (const org of generateSeed({
  orgs: Number(process.argv[2]),
  members: Number(process.argv[3]),
  seed: 1,
  now: new Date("2026-11-26T12:00:00Z"),
})) {
  await insertSeedOrg(db, org);
  regs += org.registrations.length;
}
console.log("seeded in", Date.now() - t, "ms; registrations", regs);
await db.$disconnect();
