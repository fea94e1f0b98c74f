// Evaluation report: `pnpm --filter @engagement/eval exec tsx src/evaluate.ts [--classifier rules|anthropic] [--real]`.
// Loads every labelled history into a scratch database, computes signals with the production SQL, scores the
// rules against the labels and measures how often the LLM classifier agrees with the rules. The LLM is the
// in-process fake server unless --real is given with ANTHROPIC_API_KEY set. Writes packages/eval/src/RESULTS.md.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createAnthropicClassifier, DEFAULT_ANTHROPIC_MODEL } from "@engagement/anthropic";
import { applyMigrations, createDb, dropDatabase, ensureDatabase, withDatabase } from "@engagement/db";
import { TEST_SERVER_URL } from "@engagement/db/testing";
import type { ClassificationResult } from "@engagement/engagement";
import { classifyWithRules, isFactsDecided } from "@engagement/engagement";
import { type FakeAnthropic, startFakeAnthropic } from "@engagement/fake-anthropic";
import { realAnthropicKey } from "./env.ts";
import { loadHistories } from "./histories.ts";
import { type LoadedHistory, loadHistorySignals } from "./load-signals.ts";
import { accuracy, accuracyTables, pct, table } from "./metrics.ts";

const { values } = parseArgs({
  options: { classifier: { type: "string", default: "anthropic" }, real: { type: "boolean", default: false } },
});
if (values.classifier !== "rules" && values.classifier !== "anthropic") {
  console.error(`--classifier must be rules or anthropic, got ${values.classifier}`);
  process.exit(2);
}
// This script is a developer tool run from a shell; like the CLI it reads its own two variables here.
const realKey = realAnthropicKey;
if (values.real && !realKey) {
  console.error("--real needs ANTHROPIC_API_KEY");
  process.exit(2);
}

const set = loadHistories();
const url = withDatabase(TEST_SERVER_URL, `engagement_eval_${randomBytes(4).toString("hex")}`);
await ensureDatabase(url);
let fake: FakeAnthropic | null = null;
const db = createDb(url, { maxConnections: 5 });
try {
  await applyMigrations(url);
  const started = Date.now();
  const loaded = await loadHistorySignals(db, set);
  const loadMs = Date.now() - started;
  const sections: string[] = [];

  const rules = loaded.map((l) => ({ l, result: classifyWithRules(l.signals) }));
  const rulesAccuracy = accuracy(
    rules.map(({ l, result }) => ({ id: l.history.id, expected: l.history.expectedLevel, actual: result.level })),
  );
  sections.push(
    `## Rules classifier vs labels\n\n${set.histories.length} histories, signals computed by computeSignals (PostgreSQL) at asOf ${set.asOf} in ${loadMs} ms.\n\n` +
      accuracyTables(rulesAccuracy) +
      (rulesAccuracy.mistakes.length
        ? `\n\nMismatches: ${rulesAccuracy.mistakes.map((m) => `${m.id} (expected ${m.expected}, got ${m.actual})`).join(", ")}`
        : ""),
  );

  if (values.classifier === "anthropic") {
    let llmName: string;
    let config: { apiKey: string; baseURL?: string };
    if (values.real && realKey) {
      config = { apiKey: realKey };
      llmName = `the real Anthropic API (model ${DEFAULT_ANTHROPIC_MODEL})`;
    } else {
      fake = await startFakeAnthropic({ apiKey: "eval-key" });
      config = { apiKey: "eval-key", baseURL: fake.url };
      llmName = `the FAKE Anthropic server (@engagement/fake-anthropic, in-process, deterministic judge; model name sent: ${DEFAULT_ANTHROPIC_MODEL}). This is not Claude: the numbers check the plumbing, not model quality`;
    }
    const classifier = createAnthropicClassifier(config);
    const llm: { l: LoadedHistory; rules: ClassificationResult; result: ClassificationResult }[] = [];
    // Together, as the worker sends them: several members per request, each answer checked on its own.
    const results = await classifier.classifyMany(rules.map(({ l }) => l.signals));
    for (const [i, { l, result: rulesResult }] of rules.entries())
      llm.push({ l, rules: rulesResult, result: results[i] as ClassificationResult });
    sections.push(agreementSection(llmName, llm));
  }

  const report = sections.join("\n\n");
  console.log(report);
  const command = `pnpm --filter @engagement/eval exec tsx src/evaluate.ts --classifier ${values.classifier}${values.real ? " --real" : ""}`;
  writeFileSync(
    new URL("./RESULTS.md", import.meta.url),
    `# Evaluation results\n\nCommand: \`${command}\`  \nDate: ${new Date().toISOString()}  \nDataset: packages/eval/src/histories.json (${set.histories.length} labelled histories)\n\n${report}\n`,
  );
  console.log("\nwritten to packages/eval/src/RESULTS.md");
} finally {
  await fake?.stop();
  await db.$disconnect();
  await dropDatabase(url);
}
// The migration engine leaves a timer behind that would hold the process for a while.
process.exit(0);

function agreementSection(
  llmName: string,
  rows: { l: LoadedHistory; rules: ClassificationResult; result: ClassificationResult }[],
): string {
  const judged = rows.filter((r) => !isFactsDecided({ step: r.rules.rubricStep }));
  const agree = (subset: typeof rows) => subset.filter((r) => r.result.level === r.rules.level).length;
  const bySource = (source: string) => rows.filter((r) => r.result.source === source).length;
  const usage = rows.reduce(
    (u, r) => ({
      calls: u.calls + r.result.usage.llmCalls,
      input: u.input + r.result.usage.inputTokens,
      output: u.output + r.result.usage.outputTokens,
      cacheRead: u.cacheRead + r.result.usage.cacheReadTokens,
      cacheWrite: u.cacheWrite + r.result.usage.cacheWriteTokens,
    }),
    { calls: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
  );
  const vsLabels = accuracy(rows.map((r) => ({ id: r.l.history.id, expected: r.l.history.expectedLevel, actual: r.result.level })));
  const departures = judged.filter((r) => r.result.level !== r.rules.level);
  return [
    `## LLM classifier vs rules\n\nLLM: ${llmName}.`,
    table(
      ["measure", "value"],
      [
        ["agreement with rules, all histories", `${agree(rows)}/${rows.length} (${pct(agree(rows), rows.length)})`],
        ["agreement with rules, LLM-judged (rubric steps 4–6)", `${agree(judged)}/${judged.length} (${pct(agree(judged), judged.length)})`],
        ["accuracy vs labels", `${vsLabels.correct}/${vsLabels.total} (${pct(vsLabels.correct, vsLabels.total)})`],
        ["results by source (llm / fallback / rules)", `${bySource("llm")} / ${bySource("fallback")} / ${bySource("rules")}`],
        ["Messages API calls", usage.calls],
        ["tokens in / out / cache read / cache write", `${usage.input} / ${usage.output} / ${usage.cacheRead} / ${usage.cacheWrite}`],
      ],
    ),
    departures.length
      ? `Departures from the rules:\n\n${table(
          ["history", "rules", "llm", "source"],
          departures.map((r) => [r.l.history.id, r.rules.level, r.result.level, r.result.source]),
        )}`
      : "No departures from the rules.",
  ].join("\n\n");
}
