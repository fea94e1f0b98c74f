// The night benchmark's command line, parsed without side effects so the smoke test can check it.
import { parseArgs } from "node:util";

/** a: orchestration (instant fake LLM); b: latency, rate limit and 429s (a timed subset, extrapolated);
 * c: batch mode; d: a simulated week; original: the first design's sequential loop; k1: realtime, one member per
 * request, no fingerprint. */
export const MODES = ["a", "b", "c", "d", "original", "k1"] as const;
export type Mode = (typeof MODES)[number];

export interface NightBenchArgs {
  orgs: number;
  members: number;
  seed: number;
  modes: Mode[];
  /** How long the rate-limited modes (b, k1, original) run before they are stopped and extrapolated. */
  windowSeconds: number;
  /** The same for baseline 1, which has no start-up to wait through. */
  originalWindowSeconds: number;
  /** The longest the batch mode may take before it is stopped and extrapolated like b. */
  batchWindowSeconds: number;
  latencyMs: number;
  requestsPerMinute: number;
  faultRate: number;
  batchProcessingMs: number;
  weekOrgs: number;
  weekMembers: number;
  json: string | null;
  /** Leave the bench databases in place afterwards (to look at them). */
  keep: boolean;
}

const positive = (name: string, value: string | undefined, integer = true): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
  return n;
};

const nonNegative = (name: string, value: string | undefined): number => (Number(value) === 0 ? 0 : positive(name, value));

export function parseNightArgs(argv: string[]): NightBenchArgs {
  const { values } = parseArgs({
    // `pnpm bench -- --modes a` passes the "--" on.
    args: argv.filter((a) => a !== "--"),
    options: {
      orgs: { type: "string", default: "100" },
      members: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      modes: { type: "string", default: MODES.join(",") },
      window: { type: "string", default: "75" },
      "original-window": { type: "string", default: "60" },
      "batch-window": { type: "string", default: "120" },
      latency: { type: "string", default: "400" },
      rpm: { type: "string", default: "50" },
      "fault-rate": { type: "string", default: "0.05" },
      "batch-processing-ms": { type: "string", default: "20000" },
      "week-orgs": { type: "string", default: "12" },
      "week-members": { type: "string", default: "1000" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
    },
    strict: true,
  });
  const modes = (values.modes as string)
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  for (const m of modes)
    if (!(MODES as readonly string[]).includes(m)) throw new Error(`--modes: unknown mode "${m}" (known: ${MODES.join(", ")})`);
  const faultRate = Number(values["fault-rate"]);
  if (!(faultRate >= 0 && faultRate < 1)) throw new Error(`--fault-rate must be in [0, 1), got "${values["fault-rate"]}"`);
  return {
    orgs: positive("orgs", values.orgs),
    members: positive("members", values.members),
    seed: positive("seed", values.seed),
    modes: [...new Set(modes)] as Mode[],
    windowSeconds: positive("window", values.window),
    originalWindowSeconds: positive("original-window", values["original-window"]),
    batchWindowSeconds: positive("batch-window", values["batch-window"]),
    latencyMs: nonNegative("latency", values.latency),
    requestsPerMinute: positive("rpm", values.rpm),
    faultRate,
    batchProcessingMs: positive("batch-processing-ms", values["batch-processing-ms"]),
    weekOrgs: positive("week-orgs", values["week-orgs"]),
    weekMembers: positive("week-members", values["week-members"]),
    json: values.json ?? null,
    keep: values.keep as boolean,
  };
}
