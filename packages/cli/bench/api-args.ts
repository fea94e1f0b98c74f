// The API load bench's command line, parsed without side effects.
import { parseArgs } from "node:util";

export interface ApiBenchArgs {
  /** Small organisations seeded with the demo's generator (events, attendance), classified by the worker. */
  orgs: number;
  members: number;
  /** Members of the one large synthetic organisation; 0 skips its phases. */
  large: number;
  /** The worker's LLM request budget (requests per minute) during the paced-runs phase. */
  runRpm: number;
  /** Requests per second per endpoint. */
  rate: number;
  /** Length of each phase. */
  seconds: number;
  /** Seconds of the same load before each phase, not recorded (JIT, pools, keep-alive connections). */
  warmup: number;
  /** Connections per endpoint. */
  connections: number;
  /** "open": evenly spaced requests (open-loop.ts); "autocannon": its overallRate, which sends each second's share in a burst. */
  generator: "open" | "autocannon";
  /** Only the phases whose name contains one of these words (all when empty). */
  only: string[];
  /** A folder for the API's CPU profile (node --cpu-prof), written when the API exits. */
  profile: string | null;
  json: string | null;
  keep: boolean;
}

const positive = (name: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
};

export function parseApiBenchArgs(argv: string[]): ApiBenchArgs {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== "--"),
    options: {
      orgs: { type: "string", default: "4" },
      members: { type: "string", default: "600" },
      large: { type: "string", default: "1000000" },
      rate: { type: "string", default: "200" },
      "run-rpm": { type: "string", default: "50" },
      seconds: { type: "string", default: "15" },
      warmup: { type: "string", default: "3" },
      connections: { type: "string", default: "10" },
      generator: { type: "string", default: "open" },
      only: { type: "string", default: "" },
      profile: { type: "string" },
      json: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  if (values.generator !== "open" && values.generator !== "autocannon")
    throw new Error(`--generator must be "open" or "autocannon", got "${values.generator}"`);
  return {
    generator: values.generator,
    orgs: positive("orgs", values.orgs),
    members: positive("members", values.members),
    large: values.large === "0" ? 0 : positive("large", values.large),
    rate: positive("rate", values.rate),
    runRpm: positive("run-rpm", values["run-rpm"]),
    seconds: positive("seconds", values.seconds),
    warmup: values.warmup === "0" ? 0 : positive("warmup", values.warmup),
    connections: positive("connections", values.connections),
    only: values.only
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    profile: values.profile ?? null,
    json: values.json ?? null,
    keep: values.keep,
  };
}
