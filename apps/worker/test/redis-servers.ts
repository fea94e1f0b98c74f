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

export async function redisServer(args: string[] = [], port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `redis-${p}-`));
  let child: ChildProcess | null = null;
  const exited = () =>
    new Promise<void>((done) =>
      child && child.exitCode === null && child.signalCode === null ? child.once("exit", () => done()) : done(),
    );
  const cli = (...command: string[]) => run("redis-cli", ["-p", String(p), ...command]);
  const server: RedisServer = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    dir,
    async start() {
      child = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...args], {
        stdio: "ignore",
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pong = await cli("ping").then(
          (r) => r.stdout.trim(),
          () => "",
        );
        // A server loading its AOF answers LOADING; ready is PONG.
        if (pong === "PONG") return;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${p} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async shutdown() {
      const done = exited();
      await cli("shutdown").catch(() => undefined);
      await done;
    },
    async kill() {
      const done = exited();
      child?.kill("SIGKILL");
      await done;
    },
    async destroy() {
      if (child && child.exitCode === null && child.signalCode === null) await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** Three masters on free ports, joined with `redis-cli --cluster create`; null when redis-server has no cluster support. */
export async function redisCluster(masters = 3): Promise<{ nodes: RedisServer[]; destroy(): Promise<void> } | null> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      nodes.push(
        await redisServer(
          ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "5000"],
          port,
        ),
      );
    }
  } catch {
    // This redis-server would not start with cluster mode on (a build without it): the caller skips, saying so.
    for (const n of nodes) await n.destroy();
    return null;
  }
  await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-yes"]);
  // The cluster answers once every slot is assigned and the nodes agree.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { stdout } = await run("redis-cli", ["-p", String(nodes[0]?.port), "cluster", "info"]);
    if (/cluster_state:ok/.test(stdout)) break;
    if (Date.now() > deadline) throw new Error(`the cluster did not become ready:\n${stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    nodes,
    async destroy() {
      for (const n of nodes) await n.destroy();
    },
  };
}
