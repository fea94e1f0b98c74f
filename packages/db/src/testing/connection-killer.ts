// Cutting a test database's connections, as a PostgreSQL restart or a failover would: the fault tests' tool.
// Only the backends of the named database are ended (never another test's, never the shared server's others).
import pg from "pg";
import { parseDatabaseUrl } from "../database.ts";

export interface ConnectionKiller {
  /** Stops the loop; resolves with how many backends were ended in how many rounds. */
  stop(): Promise<{ killed: number; rounds: number }>;
}

/** Every `everyMs`, ends every connection to the database of `url` (pg_terminate_backend) until stopped. */
export function startConnectionKiller(url: string, everyMs: number): ConnectionKiller {
  const { database, maintenanceUrl } = parseDatabaseUrl(url);
  const client = new pg.Client({ connectionString: maintenanceUrl });
  let killed = 0;
  let rounds = 0;
  let stopped = false;
  const loop = (async () => {
    await client.connect();
    try {
      while (!stopped) {
        const { rowCount } = await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [database],
        );
        killed += rowCount ?? 0;
        rounds++;
        await new Promise((r) => setTimeout(r, everyMs));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { killed, rounds };
    },
  };
}
