// The README's commands start here, on a fresh clone, with nothing but Node 20 and npm:
//   npm run demo  → pnpm, install, generate, services check, migrate + seed + one nightly run end to end
//   npm test      → pnpm, install, generate, services check, a browser for the Bull Board test, the test suite
//                   (last line: "N passed, N failed")
//   npm run check → type check, lint (code, Dockerfile, compose file), the rooms' dependency rules, the data-access
//                   rule, unused code
// Only Node built-ins here: dependencies are not installed yet when it starts.
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_VERSION = "12.4.2";
const [task, ...rest] = process.argv.slice(2);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function must(cmd, args, what) {
  const status = run(cmd, args);
  if (status !== 0) {
    console.error(`\n✗ ${what} failed (exit ${status}).`);
    process.exit(status);
  }
}

function ensurePnpm() {
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return;
  // corepack's signature check fails against some registries; a global npm install works everywhere.
  console.error(`→ installing pnpm ${PNPM_VERSION} with npm`);
  must("npm", ["install", "--global", `pnpm@${PNPM_VERSION}`], "installing pnpm");
}

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname || "127.0.0.1", port: Number(port || defaultPort) });
    socket.setTimeout(2000);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      done(false);
    });
    socket.once("error", () => done(false));
  });
}

async function checkServices() {
  const dbUrl = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/engagement";
  const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  const missing = [];
  if (!(await reachable(dbUrl, 5432))) missing.push(`PostgreSQL at ${new URL(dbUrl).host}`);
  if (!(await reachable(redisUrl, 6379))) missing.push(`Redis at ${new URL(redisUrl).host}`);
  if (missing.length === 0) return;
  console.error(`\n✗ ${missing.join(" and ")} did not answer. Start them, then run this command again:
    with Docker:      docker compose up -d postgres-dev redis-dev
    on Debian/Ubuntu: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
                      redis-server --daemonize yes --bind 127.0.0.1 --port 6379
  or point DATABASE_URL / REDIS_URL at servers you already run.`);
  process.exit(3);
}

/**
 * The Bull Board test drives a real Chromium. apps/api/test/chromium.ts finds one (CHROMIUM_PATH, Debian's
 * chromium, or the build packaged in the @sparticuz/chromium dev dependency) and launches it once. If none
 * starts and this is root on Debian/Ubuntu, Debian's chromium is installed; otherwise the check's one line
 * says what to install and the suite does not run.
 */
function ensureBrowser() {
  const check = () => run(resolve(ROOT, "node_modules/.bin/tsx"), ["apps/api/test/check-chromium.ts"]) === 0;
  if (check()) return;
  // A CHROMIUM_PATH that does not start is the user's to fix; installing another browser would not be used.
  const canApt =
    !process.env.CHROMIUM_PATH && process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (canApt) {
    console.error("→ installing Debian's chromium with apt-get");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const installed =
      run("apt-get", ["update", "-qq"], { env }) === 0 && run("apt-get", ["install", "-y", "-qq", "chromium"], { env }) === 0;
    if (installed && check()) return;
  }
  process.exit(4);
}

ensurePnpm();
must("pnpm", ["install", "--frozen-lockfile", "--reporter=silent"], "pnpm install");
must("pnpm", ["--filter", "@engagement/db", "generate"], "prisma generate");

/**
 * The Redis restart and Redis Cluster scenarios (apps/worker/test/infra-faults) start redis-server processes of
 * their own and join the cluster with redis-cli: with Redis in a container, neither binary is on the PATH.
 */
function ensureRedisBinaries() {
  const missing = ["redis-server", "redis-cli"].filter((bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status !== 0);
  if (missing.length === 0) return;
  console.error(
    `\n✗ ${missing.join(" and ")} not found: the Redis restart and Redis Cluster tests start Redis servers of their own.\n` +
      "  Install Redis 7 locally (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or run the\n" +
      "  other tests only, e.g. npm test -- packages apps/api.",
  );
  process.exit(1);
}

switch (task) {
  case "demo":
    await checkServices();
    process.exit(run("pnpm", ["exec", "tsx", "packages/cli/src/main.ts", "demo", ...rest]));
    break;
  case "test":
    await checkServices();
    // A run of chosen test files (`npm test -- apps/worker`) needs the browser only if it picks the board test.
    if (rest.length === 0 || rest.some((arg) => /board|browser|apps\/api\/?$|apps\/api\/test/.test(arg))) ensureBrowser();
    if (rest.length === 0 || rest.some((arg) => /infra-faults|apps\/worker\/?$|apps\/worker\/test\/?$/.test(arg))) ensureRedisBinaries();
    process.exit(run("node", ["scripts/test.mjs", ...rest]));
    break;
  case "check":
    must("pnpm", ["exec", "turbo", "run", "typecheck", "--output-logs=errors-only"], "type check");
    must("pnpm", ["exec", "biome", "check", "."], "lint");
    // docker-compose.yml (dclint, .dclintrc) and the Dockerfile (dockerfile-utils): offline, about 2 s.
    must("pnpm", ["run", "--silent", "lint:docker"], "Docker files lint");
    // The rooms and which may import which: .dependency-cruiser.cjs (README "Rooms").
    must("pnpm", ["exec", "depcruise", "apps", "packages", "scripts", "--config", ".dependency-cruiser.cjs"], "dependency rules");
    must("node", ["scripts/check-data-access.mjs"], "data access rule");
    // Unused files, exports and dependencies (knip.json).
    must("pnpm", ["exec", "knip", "--no-config-hints"], "unused code check");
    break;
  default:
    console.error("usage: node scripts/bootstrap.mjs demo|test|check");
    process.exit(2);
}
