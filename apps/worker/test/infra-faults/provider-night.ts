// One multi-organisation night against the fake server with a given fault mix, for the provider-fault tests.
import type { FaultRates } from "@engagement/fake-anthropic";
import { createPipeline, runOrg, waitForRuns } from "../harness.ts";
import { captureNightBaseline, seedNight } from "../night-invariants.ts";

const ORGS = 3;
const MEMBERS = 100;
// About 10 % of requests in all, as the trial. A "slow" call is held past the classifier's 5 s timeout.
export const MIX: FaultRates = {
  rate_limited: 0.02,
  overloaded: 0.015,
  server_error: 0.015,
  slow: 0.01,
  dropped_connection: 0.015,
  malformed_tool_input: 0.015,
  refusal: 0.015,
};
const LATENCY: [number, number] = [50, 120];

export async function night(label: string, faultRates: FaultRates) {
  const p = await createPipeline(label, {
    fake: { latencyMs: LATENCY, faultRates, faultSeed: 12, slowMs: 8_000, faultRetryAfterSeconds: 1 },
    settings: { fingerprint: null },
    // Two members per request: enough requests (about 100 a night) for the rates to draw every kind.
    membersPerRequest: 2,
  });
  const { orgIds } = await seedNight(p, ORGS, MEMBERS);
  const baseline = await captureNightBaseline(p.t.db);
  p.startWorkers();
  const started = Date.now();
  const enqueued = await Promise.all(orgIds.map((orgId) => runOrg(p, orgId)));
  const runs = await waitForRuns(
    p,
    enqueued.map((r) => r.runId),
    50_000,
  );
  return { p, runs, orgIds, baseline, ms: Date.now() - started };
}
