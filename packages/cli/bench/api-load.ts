// Fixed-rate HTTP load with autocannon: several targets at once, each at its own overall rate, so the
// latency of one endpoint is measured while the others load the same API process.
import autocannon from "autocannon";

export interface LoadTarget {
  label: string;
  /** Requests per second for this target (autocannon's overallRate, spread over its connections). */
  rate: number;
  /** Paths and their headers; each request takes the next one in turn. */
  requests: { path: string; token: string }[];
}

export interface LoadResult {
  label: string;
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  achievedRate: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

export async function runLoad(baseUrl: string, targets: LoadTarget[], seconds: number, connections: number): Promise<LoadResult[]> {
  return Promise.all(targets.map((t) => runTarget(baseUrl, t, seconds, connections)));
}

function runTarget(baseUrl: string, target: LoadTarget, seconds: number, connections: number): Promise<LoadResult> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: baseUrl,
        connections,
        duration: seconds,
        overallRate: target.rate,
        // autocannon's coordinated-omission correction assumes an interval of ceil(1 / rate) ms (1 ms at any rate
        // above 1/s), which back-fills a slow response with one sample per millisecond: the raw latencies are
        // reported instead, and the achieved rate shows whether the API kept up with the fixed rate.
        ignoreCoordinatedOmission: true,
        timeout: 10,
        requests: [
          {
            method: "GET",
            setupRequest: (req) => {
              const r = target.requests[next++ % target.requests.length] as LoadTarget["requests"][number];
              return { ...req, path: r.path, headers: { ...req.headers, authorization: `Bearer ${r.token}` } };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const codes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) codes[code] = stat.count ?? 0;
        resolve({
          label: target.label,
          rate: target.rate,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          requests: result.requests.total,
          achievedRate: result.requests.total / result.duration,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          statusCodes: codes,
        });
      },
    );
  });
}
