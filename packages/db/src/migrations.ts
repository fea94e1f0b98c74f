// Offline migrations on Prisma's WebAssembly schema engine.
//
// Why: the Prisma CLI's `migrate` commands need a native schema-engine binary that it downloads at first use, and
// this project's build and test machines reach only the npm registry. `@prisma/schema-engine-wasm` is the same
// engine compiled to WebAssembly, driven through the pg driver adapter. It reads and writes the very same
// `prisma/migrations` folder and `_prisma_migrations` table, so `prisma migrate deploy` keeps working wherever
// the binary engine is available.

import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { dropDatabase, ensureDatabase, poolConfigFromUrl, withDatabase } from "./database.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const PRISMA_DIR = resolve(here, "../../../prisma");
export const SCHEMA_PATH = join(PRISMA_DIR, "schema.prisma");
export const MIGRATIONS_DIR = join(PRISMA_DIR, "migrations");
const LOCKFILE = "migration_lock.toml";
const FILTERS = { externalTables: [], externalEnums: [] };

// The subset of the engine's API used here (the package ships its own .d.ts, but only for the ESM entry that
// imports the .wasm file directly, which Node 20 cannot load).
interface SchemaEngine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  applyMigrations(params: unknown): Promise<{ appliedMigrationNames: string[] }>;
  free(): void;
}
interface EngineModule {
  __wbg_set_wasm(exports: Record<string, unknown>): void;
  SchemaEngine: {
    new: (options: { datamodels: [string, string][] }, log: (msg: string) => void, adapter: object) => Promise<SchemaEngine>;
  };
}

// Node's global WebAssembly, typed here because this project compiles without the DOM library.
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

let engineModule: Promise<EngineModule> | undefined;

/** Loads the wasm-bindgen glue and instantiates the engine's WebAssembly once per process. */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const pkgDir = dirname(gluePath);
    const glue = (await import(pathToFileURL(gluePath).href)) as EngineModule;
    const bytes = await readFile(join(pkgDir, "schema_engine_bg.wasm"));
    const { instance } = await wasm.instantiate(bytes, { "./schema_engine_bg.js": glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return glue;
  })();
  return engineModule;
}

async function withEngine<T>(databaseUrl: string, fn: (engine: SchemaEngine, schema: string) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readFile(SCHEMA_PATH, "utf8");
  // The engine only accepts the migration-aware factory wrapped for error capturing; the bare PrismaPg fails
  // with "Cannot read properties of undefined (reading 'call')".
  const pool = new pg.Pool(poolConfigFromUrl(databaseUrl));
  const adapter = bindMigrationAwareSqlAdapterFactory(migrationAdapterFactory(databaseUrl, pool));
  const engine = await SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, () => {}, adapter);
  try {
    return await fn(engine, schema);
  } finally {
    engine.free();
    await pool.end();
  }
}

/**
 * PrismaPg, with our own shadow database handling. PrismaPg's connectToShadowDb drops the shadow database
 * before closing the pool connected to it, which PostgreSQL refuses ("being accessed by other users"), and
 * leaves it behind; here the pool is closed first and the database dropped with FORCE. The shadow database is
 * where the engine introspects, so its queries get the "char" casts below.
 * The main pool is owned by the caller, so it can be closed: the engine never disposes it.
 */
function migrationAdapterFactory(databaseUrl: string, pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg(pool);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => wholeScripts(await main.connect(), pool),
    async connectToShadowDb() {
      const shadowUrl = withDatabase(databaseUrl, `prisma_shadow_${randomUUID().replace(/-/g, "")}`);
      await ensureDatabase(shadowUrl);
      const shadowPool = new pg.Pool(poolConfigFromUrl(shadowUrl));
      // The shadow database is dropped WITH (FORCE) when the engine is done: a connection of this pool that the
      // drop ends (57P01) is expected, not an error to crash on.
      shadowPool.on("error", () => undefined);
      const adapter = wholeScripts(await new PrismaPg(shadowPool).connect(), shadowPool);
      const dispose = adapter.dispose.bind(adapter);
      const queryRaw = adapter.queryRaw.bind(adapter);
      adapter.queryRaw = (query) => queryRaw({ ...query, sql: castCharColumns(query.sql) });
      adapter.dispose = async () => {
        await dispose();
        await shadowPool.end();
        await dropDatabase(shadowUrl);
      };
      return adapter;
    },
  };
}

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;

/**
 * PrismaPg runs a migration script by splitting it on every ";", which cuts a function body ($$ ... $$, as the
 * triggers of list_name_and_level_counts have) in pieces. The script goes to PostgreSQL whole instead, in one
 * simple-protocol query: PostgreSQL parses the statements itself and runs them as one implicit transaction.
 */
function wholeScripts(adapter: Adapter, pool: pg.Pool): Adapter {
  // The adapter's own mapping of driver errors to the engine's (a private method of the pinned version).
  const onError = (adapter as unknown as { onError?: (err: unknown) => never }).onError?.bind(adapter);
  adapter.executeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (err) {
      if (onError) onError(err);
      throw err;
    }
  };
  return adapter;
}

// PostgreSQL catalogs use the one-byte "char" type (OID 18) for flags such as pg_constraint.contype, and the pg
// driver adapter refuses to read that type. The schema engine's introspection selects a few such columns; casting
// them to text in the select list gives the engine the same one-letter strings.
const CHAR_COLUMNS =
  "contype|relkind|relpersistence|relreplident|confdeltype|confupdtype|confmatchtype|attidentity|attgenerated|typtype|typcategory|prokind|provolatile|polcmd";
const ALIASED_CHAR_COLUMN = new RegExp(`\\b(\\w+\\.(?:${CHAR_COLUMNS}))(\\s+AS\\s)`, "gi");
const BARE_CHAR_COLUMN = new RegExp(`^(\\s*)(\\w+\\.(${CHAR_COLUMNS}))(?=\\s*,\\s*$)`, "gim");
function castCharColumns(sql: string): string {
  return sql.replace(ALIASED_CHAR_COLUMN, "$1::text$2").replace(BARE_CHAR_COLUMN, "$1$2::text AS $3");
}

/** Reads prisma/migrations the way the Prisma CLI does: one folder per migration, each with migration.sql. */
export async function readMigrationsList(dir = MIGRATIONS_DIR) {
  // No folder yet means no migrations; any other failure (permissions, a file in its place) must not read as
  // "nothing to apply".
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw new Error(`cannot read the migrations folder ${dir}: ${err.message}`, { cause: err });
  });
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockContent = await readFile(join(dir, LOCKFILE), "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  return {
    baseDir: dir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      folders.map(async (name) => {
        const content = await readFile(join(dir, name, "migration.sql"), "utf8")
          .then((value) => ({ tag: "ok" as const, value }))
          .catch((err: Error) => ({ tag: "error" as const, value: err.message }));
        return { path: name, migrationFile: { path: "migration.sql", content } };
      }),
    ),
  };
}

/** Applies every pending migration (the equivalent of `prisma migrate deploy`); returns the names applied. */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const migrationsList = await readMigrationsList();
  return withEngine(databaseUrl, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: FILTERS });
    return out.appliedMigrationNames;
  });
}

/**
 * SQL that would bring a database built from the committed migrations to schema.prisma; empty when they agree.
 * The engine replays the migrations in a throw-away shadow database (created and dropped by the pg adapter),
 * so `databaseUrl` must allow CREATE DATABASE.
 */
export async function diffMigrationsToSchema(databaseUrl: string): Promise<string> {
  const migrationsList = await readMigrationsList();
  return withEngine(databaseUrl, async (engine, schema) => {
    const from = migrationsList.migrationDirectories.length ? { tag: "migrations", ...migrationsList } : { tag: "empty" };
    const out = await engine.diff({
      from,
      to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return isEmptyScript(out.stdout ?? "") ? "" : (out.stdout ?? "");
  });
}

/** The engine answers an empty diff with a comment line only. */
function isEmptyScript(sql: string): boolean {
  return sql
    .split("\n")
    .map((line) => line.trim())
    .every((line) => line === "" || line.startsWith("--"));
}
