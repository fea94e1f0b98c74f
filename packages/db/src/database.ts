import pg from "pg";

/** Splits a connection URL into the database name and a URL for the server's maintenance database. */
export function parseDatabaseUrl(url: string): { database: string; maintenanceUrl: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new Error(`DATABASE_URL has no database name: ${redactUrl(url)}`);
  parsed.pathname = "/postgres";
  return { database, maintenanceUrl: parsed.toString() };
}

/** pg pool settings from a postgresql:// URL, as discrete fields. */
export function poolConfigFromUrl(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname) || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || "postgres",
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: parseDatabaseUrl(url).database,
  };
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<invalid url>";
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withMaintenanceClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: parseDatabaseUrl(url).maintenanceUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in `url` when it does not exist; returns true when it created it. */
export async function ensureDatabase(url: string, template?: string): Promise<boolean> {
  const { database } = parseDatabaseUrl(url);
  return withMaintenanceClient(url, async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount) return false;
    const from = template ? ` TEMPLATE ${quoteIdent(template)}` : "";
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}${from}`);
    } catch (err) {
      // Two processes may race to create it; losing that race is fine.
      if ((err as { code?: string }).code !== "42P04") throw err;
      return false;
    }
    return true;
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const { database } = parseDatabaseUrl(url);
  await withMaintenanceClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}
