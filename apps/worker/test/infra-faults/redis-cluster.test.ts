// The end-to-end pipeline suite against a three-master Redis Cluster the test creates: every queue shares one
// hash-tag prefix ({...}), so BullMQ's multi-key scripts and the flows from org runs to classify jobs stay in
// one slot, as the README says. A control shows the claim can fail: the same queue without the braces is refused
// by the cluster. Without cluster support in this redis-server the file says so and skips.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connectRedis, createRedisCluster } from "@engagement/queue";
import { afterAll, describe, expect, it } from "@jest/globals";
import { Queue } from "bullmq";
import { describePipeline } from "../pipeline-suite.ts";
import { redisCluster } from "../redis-servers.ts";

const cluster = await redisCluster(3);

if (!cluster) {
  describe("the pipeline on a Redis Cluster", () => {
    it.skip("skipped: this redis-server would not start with --cluster-enabled yes", () => undefined);
  });
} else {
  afterAll(async () => cluster.destroy());
  const nodes = cluster.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));

  describe("the three-master Redis Cluster the suite runs on", () => {
    it("has three masters sharing the 16384 slots", async () => {
      const { stdout } = await promisify(execFile)("redis-cli", ["-p", String(nodes[0]?.port), "cluster", "info"]);
      expect(stdout).toMatch(/cluster_state:ok/);
      expect(stdout).toMatch(/cluster_size:3/);
      expect(stdout).toMatch(/cluster_slots_assigned:16384/);
    });

    it("refuses a queue whose prefix has no hash tag (CROSSSLOT), accepts it with one", async () => {
      const connection = connectRedis(`redis+cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(",")}`);
      const untagged = new Queue("control", { connection, prefix: "no-tag" });
      const tagged = new Queue("control", { connection, prefix: "{with-tag}" });
      try {
        await expect(untagged.add("job", {})).rejects.toThrow(/CROSSSLOT/);
        await expect(tagged.add("job", {})).resolves.toMatchObject({ id: expect.any(String) });
      } finally {
        await tagged.obliterate({ force: true });
        await Promise.all([untagged.close(), tagged.close()]);
        connection.disconnect();
      }
    });
  });

  describePipeline("the nightly pipeline on a three-master Redis Cluster", () => createRedisCluster(nodes));
}
