// `pnpm engagement seed --orgs N --members M --seed S`: deterministic demo data (replaces what is there).
import { applyMigrations, createDb, ensureDatabase, generateSeed, insertSeedOrg, redactUrl, truncateAll } from "@engagement/db";
import { bar } from "../format.ts";

export interface SeedArgs {
  orgs: number;
  members: number;
  seed: number;
}

export async function seedCommand(databaseUrl: string, args: SeedArgs, log: (line: string) => void = (l) => console.error(l)) {
  await ensureDatabase(databaseUrl);
  const applied = await applyMigrations(databaseUrl);
  if (applied.length) log(`migrated ${redactUrl(databaseUrl)}: ${applied.join(", ")}`);
  const db = createDb(databaseUrl, { maxConnections: 2 });
  try {
    await truncateAll(db);
    const started = Date.now();
    let registrations = 0;
    let i = 0;
    // Dates are relative to the start of today (UTC): the same seed gives the same data all day.
    const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    // Two organisations in flight: one is generated (CPU, this process) while the other is inserted (PostgreSQL).
    const inFlight = new Set<Promise<void>>();
    for (const org of generateSeed({ ...args, now: today })) {
      const insert: Promise<void> = insertSeedOrg(db, org).then(() => {
        inFlight.delete(insert);
        registrations += org.registrations.length;
        i++;
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2Kseeding ${bar(i, args.orgs)} ${i}/${args.orgs} orgs`);
      });
      inFlight.add(insert);
      if (inFlight.size >= 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (process.stderr.isTTY) process.stderr.write("\n");
    log(
      `seeded ${args.orgs} organisations x ${args.members} members, ${registrations} registrations in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${args.seed})`,
    );
  } finally {
    await db.$disconnect();
  }
}
