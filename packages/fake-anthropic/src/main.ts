// Runs the fake Anthropic API as a process for the demo and benchmarks: point ANTHROPIC_BASE_URL at it.
//   tsx src/main.ts [--port 4010] [--host 127.0.0.1] [--latency 300 | --latency 200-800] [--rpm 50] [--api-key k]
//                   [--fault-rate rate_limited=0.05,overloaded=0.01] [--fault-seed 1]
//                   [--batch-processing-ms 60000] [--batch-item-fault-rate errored=0.01,expired=0.005]
import { parseArgs } from "node:util";
import { z } from "zod";
import { fakeServerEnv } from "./env.ts";
import { parseRateList } from "./fault-rates.ts";
import { FAULT_KINDS } from "./faults.ts";
import { startFakeAnthropic } from "./server.ts";

/** `kind=probability,...` over `kinds`, refused with parseRateList's message. */
const RateList = <K extends string>(kinds: readonly K[]) =>
  z.string().transform((text, ctx): Partial<Record<K, number>> => {
    try {
      return parseRateList(text, kinds);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

const Latency = z
  .string()
  .regex(/^\d+(-\d+)?$/, "expected milliseconds as N or MIN-MAX")
  .transform((v): number | [number, number] => {
    const [min, max] = v.split("-").map(Number);
    return max === undefined ? (min as number) : [min as number, max];
  });

const Config = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(4010),
  host: z.string().default("127.0.0.1"),
  latency: Latency.optional(),
  rpm: z.coerce.number().int().positive().optional(),
  apiKey: z.string().min(1).default("test-key"),
  faultRates: RateList(FAULT_KINDS).optional(),
  faultSeed: z.coerce.number().int().optional(),
  batchProcessingMs: z.coerce.number().int().min(0).optional(),
  batchItemFaultRates: RateList(["errored", "expired", "canceled"] as const).optional(),
});

function readConfig() {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      latency: { type: "string" },
      rpm: { type: "string" },
      "api-key": { type: "string" },
      "fault-rate": { type: "string" },
      "fault-seed": { type: "string" },
      "batch-processing-ms": { type: "string" },
      "batch-item-fault-rate": { type: "string" },
    },
  });
  // Flags win over the environment so a one-off run can override a shared .env.
  const parsed = Config.safeParse({
    port: values.port ?? fakeServerEnv.port,
    host: values.host ?? fakeServerEnv.host,
    latency: values.latency ?? fakeServerEnv.latency,
    rpm: values.rpm ?? fakeServerEnv.rpm,
    apiKey: values["api-key"] ?? fakeServerEnv.apiKey,
    faultRates: values["fault-rate"] ?? fakeServerEnv.faultRates,
    faultSeed: values["fault-seed"] ?? fakeServerEnv.faultSeed,
    batchProcessingMs: values["batch-processing-ms"] ?? fakeServerEnv.batchProcessingMs,
    batchItemFaultRates: values["batch-item-fault-rate"] ?? fakeServerEnv.batchItemFaultRates,
  });
  if (!parsed.success) {
    const names: Record<string, string> = {
      port: "--port / PORT",
      host: "--host / FAKE_ANTHROPIC_HOST",
      latency: "--latency / FAKE_ANTHROPIC_LATENCY_MS",
      rpm: "--rpm / FAKE_ANTHROPIC_RPM",
      apiKey: "--api-key / FAKE_ANTHROPIC_API_KEY",
      faultRates: "--fault-rate / FAKE_ANTHROPIC_FAULT_RATES",
      faultSeed: "--fault-seed / FAKE_ANTHROPIC_FAULT_SEED",
      batchProcessingMs: "--batch-processing-ms / FAKE_ANTHROPIC_BATCH_PROCESSING_MS",
      batchItemFaultRates: "--batch-item-fault-rate / FAKE_ANTHROPIC_BATCH_ITEM_FAULT_RATES",
    };
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      console.error(`fake-anthropic: invalid ${names[key] ?? key}: ${issue.message}`);
    }
    process.exit(2);
  }
  return parsed.data;
}

const config = readConfig();
const fake = await startFakeAnthropic({
  port: config.port,
  host: config.host,
  apiKey: config.apiKey,
  ...(config.latency !== undefined && { latencyMs: config.latency }),
  ...(config.rpm !== undefined && { rateLimit: { requests: config.rpm, windowMs: 60_000 } }),
  ...(config.faultRates !== undefined && { faultRates: config.faultRates }),
  ...(config.faultSeed !== undefined && { faultSeed: config.faultSeed }),
  ...(config.batchProcessingMs !== undefined && { batchProcessingMs: config.batchProcessingMs }),
  ...(config.batchItemFaultRates !== undefined && { batchItemFaultRates: config.batchItemFaultRates }),
  onResponse: (r) => {
    const fault = r.fault ? ` fault=${r.fault}` : "";
    console.log(`${new Date(r.at).toISOString()} ${r.method} ${r.path} ${r.status} ${r.durationMs}ms ${r.requestId}${fault}`);
  },
});
console.log(`fake-anthropic listening on ${fake.url} (api key "${config.apiKey === "test-key" ? "test-key" : "***"}")`);

const SHUTDOWN_DEADLINE_MS = 5_000;
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`fake-anthropic: ${signal} received, stopping`);
  // stop() cuts held requests off, so the deadline only guards against a bug, not a slow client.
  setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
  await fake.stop();
  const { received, answered, rateLimited, faulted, insideRetryAfter, batches } = fake.stats();
  console.log(
    `fake-anthropic: stopped (received ${received}, answered ${answered}, rate-limited ${rateLimited}, faulted ${faulted}, inside a retry-after ${insideRetryAfter}; batches ${batches.created} with ${batches.items} items)`,
  );
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
