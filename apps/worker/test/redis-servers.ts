// Redis servers a test owns: started on free ports in temporary folders, stopped, killed and restarted at will,
// so a fault test never touches the shared Redis others use.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A port nothing listens on now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Starts (or starts again, on the same port and folder, so the AOF is read back). */
  start(): Promise<void>;
  /** SHUTDOWN: Redis writes its AOF and exits, as on a planned restart. */
  shutdown(): Promise<void>;
  /** SIGKILL: no chance to write anything more. */
  kill(): Promise<void>;
  /** Stops it if running and removes its folder. */
  destroy(): Promise<void>;
}

/** A start that failed: what the server printed, and whether it exited (rather than never answering in time). */
class RedisStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly exited: boolean,
  ) {
    super(`${message}\n${output}`);
  }
}

export async function redisServer(args: string[] = [], port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `redis-${p}-`));
  let child: ChildProcess | null = null;
  let spawnError: Error | null = null;
  // The tail of what the server printed (it logs to stdout, a configuration it refuses goes to stderr), so a start
  // that fails says why.
  let output = "";
  const running = () => child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = () =>
    new Promise<void>((done) => {
      if (!child || !running()) return done();
      child.once("exit", () => done());
      child.once("error", () => done());
    });
  const cli = (...command: string[]) => run("redis-cli", ["-p", String(p), ...command], { timeout: 5_000 });
  const pidOnPort = () =>
    cli("info", "server").then(
      (r) => Number(/process_id:(\d+)/.exec(r.stdout)?.[1]),
      () => undefined,
    );
  const server: RedisServer = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    dir,
    async start() {
      output = "";
      spawnError = null;
      const started = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = started;
      // Without a listener a spawn failure (no redis-server on the PATH) is an uncaught error that takes the
      // whole Jest worker down instead of failing this test.
      started.on("error", (err) => {
        spawnError = err;
      });
      const keep = (data: Buffer) => {
        output = (output + data.toString("utf8")).slice(-4_000);
      };
      started.stdout?.on("data", keep);
      started.stderr?.on("data", keep);
      const deadline = Date.now() + 10_000;
      try {
        for (;;) {
          const pong = await cli("ping").then(
            (r) => r.stdout.trim(),
            () => "",
          );
          // A server loading its AOF answers LOADING; ready is PONG, from this very process: another server that
          // took the port meanwhile answers too, while this one fails to bind and exits.
          if (pong === "PONG" && (await pidOnPort()) === started.pid) return;
          if (spawnError) throw spawnError;
          if (started.exitCode !== null || started.signalCode !== null)
            throw new RedisStartError(
              `redis-server on port ${p} exited (${started.exitCode ?? started.signalCode}) on start`,
              output,
              true,
            );
          if (Date.now() > deadline) throw new RedisStartError(`redis-server on port ${p} did not answer within 10 s`, output, false);
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch (err) {
        // One that never answered may still come up later, holding the port and its folder after the test is gone.
        await server.kill();
        throw err;
      }
    },
    async shutdown() {
      const done = exited();
      await cli("shutdown").catch(() => undefined);
      await done;
    },
    async kill() {
      const done = exited();
      if (running()) child?.kill("SIGKILL");
      await done;
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (err) {
    // The caller never gets a server to destroy: its folder goes now.
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return server;
}

/** A free port whose cluster bus port (port + 10000, which a cluster node also listens on) is free too. */
async function freeClusterNodePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
  throw new Error("no free port with a free cluster bus port (port + 10000) in 50 tries");
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((done) => {
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => done(true));
  });
  if (listening) await new Promise((done) => server.close(done));
  return listening;
}

const clusterNodeArgs = (port: number) => [
  "--cluster-enabled",
  "yes",
  "--cluster-config-file",
  `nodes-${port}.conf`,
  "--cluster-node-timeout",
  "5000",
];

/**
 * Whether this redis-server can run a cluster node. False only when it refuses the cluster configuration itself
 * (a build or fork without cluster mode), which is the one reason to skip the cluster scenario; anything else (no
 * redis-server at all, a port taken meanwhile, a slow start) throws, so the scenario fails rather than being
 * skipped without anyone noticing.
 */
async function clusterSupported(): Promise<boolean> {
  await run("redis-server", ["--version"]);
  const port = await freeClusterNodePort();
  try {
    await (await redisServer(clusterNodeArgs(port), port)).destroy();
    return true;
  } catch (err) {
    if (err instanceof RedisStartError && err.exited && /FATAL CONFIG/.test(err.output) && /cluster/i.test(err.output)) return false;
    throw err;
  }
}

/** Three masters on free ports, joined with `redis-cli --cluster create`; null when redis-server has no cluster support. */
export async function redisCluster(masters = 3): Promise<{ nodes: RedisServer[]; destroy(): Promise<void> } | null> {
  if (!(await clusterSupported())) return null;
  const nodes: RedisServer[] = [];
  const destroy = async () => {
    for (const n of nodes) await n.destroy();
  };
  // Any failure from here on (a node, the create, the cluster never ready) stops the nodes already started: the
  // caller's top-level await fails, and nothing would be left to destroy them.
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterNodePort();
      nodes.push(await redisServer(clusterNodeArgs(port), port));
    }
    await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-yes"], { timeout: 30_000 });
    // The cluster answers once every slot is assigned and the nodes agree.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { stdout } = await run("redis-cli", ["-p", String(nodes[0]?.port), "cluster", "info"], { timeout: 5_000 });
      if (/cluster_state:ok/.test(stdout)) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ready:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { nodes, destroy };
}
