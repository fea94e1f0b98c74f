// Open-loop fixed-rate load: request i of a target is due at start + i / rate, evenly spaced, whatever the answers
// before it did. autocannon's `overallRate` is not that: each connection sends its share of a second back to back
// as soon as the second starts and then pauses (lib/httpClient.js, reqsMadeThisSecond), so "200/s on 10
// connections" is 10 concurrent requests for part of every second and nothing for the rest; a single-threaded API
// then queues the burst and the percentiles measure the burst, not the rate (seen here: p50 26 ms at 1.4 ms of CPU
// per request). Latency is counted from the due time, not from the send, so a request that waited for a free
// connection or for a late generator is charged for its wait (no coordinated omission).
import { Agent, request } from "node:http";
import type { LoadResult, LoadTarget } from "./api-load.ts";

export async function runOpenLoop(baseUrl: string, targets: LoadTarget[], seconds: number, connections: number): Promise<LoadResult[]> {
  return Promise.all(targets.map((t) => runTarget(baseUrl, t, seconds, connections)));
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

function runTarget(baseUrl: string, target: LoadTarget, seconds: number, connections: number): Promise<LoadResult> {
  const url = new URL(baseUrl);
  // At most `connections` sockets; a request due while all are busy waits in the agent's queue, on the clock.
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(target.rate * seconds);
  const intervalMs = 1000 / target.rate;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let sent = 0;
  let settled = 0;
  const start = performance.now();

  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const elapsed = (performance.now() - start) / 1000;
      resolve({
        label: target.label,
        rate: target.rate,
        p50: Math.round(percentile(latencies, 50)),
        p90: Math.round(percentile(latencies, 90)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies[latencies.length - 1] ?? 0),
        requests: latencies.length,
        achievedRate: latencies.length / Math.max(elapsed, seconds),
        errors,
        timeouts,
        non2xx,
        statusCodes,
      });
    };
    const done = () => {
      settled++;
      if (settled === total) finish();
    };
    const send = (i: number) => {
      const due = start + i * intervalMs;
      const r = target.requests[i % target.requests.length] as LoadTarget["requests"][number];
      const req = request(
        { host: url.hostname, port: url.port, path: r.path, agent, headers: { authorization: `Bearer ${r.token}` }, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on("end", () => {
            const code = res.statusCode ?? 0;
            statusCodes[code] = (statusCodes[code] ?? 0) + 1;
            if (code >= 200 && code < 300) latencies.push(performance.now() - due);
            else non2xx++;
            done();
          });
        },
      );
      let timedOut = false;
      req.on("timeout", () => {
        timedOut = true;
        req.destroy(new Error("timeout"));
      });
      req.on("error", () => {
        if (timedOut) timeouts++;
        else errors++;
        done();
      });
      req.end();
    };
    // Sends every request that is due, then sleeps until the next one: a late timer sends the missed ones at once
    // (their latency still counts from their due time), it does not shift the schedule.
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) send(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
}
