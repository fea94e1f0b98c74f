// Live progress of runs (members done / total, from the runs' snapshots) and the summary table at the end.
import { type Db, getRunSummaries, getRunsProgress, isRunFinished } from "@engagement/db";
import { bar, table } from "../format.ts";

export async function watchRuns(db: Db, runIds: string[], labels: Map<string, string>, opts: { quiet: boolean; timeoutMs: number }) {
  const started = Date.now();
  const tty = process.stderr.isTTY && !opts.quiet;
  let drawn = 0;
  let lastPrint = 0;
  for (;;) {
    const progress = await getRunsProgress(db, runIds);
    const lines = progress.map((p) => {
      const org = (labels.get(p.orgId) ?? p.orgId).padEnd(28).slice(0, 28);
      const b = p.providerBatch;
      // A batch answers within hours: its own progress (requests the provider has finished) says more than members.
      if (b && p.status === "running") {
        const finished = b.requests - b.processing;
        return `${org} ${bar(finished, b.requests)} ${finished}/${b.requests} requests  waiting for provider batch`;
      }
      return `${org} ${bar(p.membersDone, p.membersTotal)} ${p.membersDone}/${p.membersTotal} ${p.status}`;
    });
    if (tty) {
      if (drawn) process.stderr.write(`\x1b[${drawn}A`);
      process.stderr.write(`${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
      drawn = lines.length;
    } else if (!opts.quiet && Date.now() - lastPrint > 2000) {
      // Without a terminal (CI, pipes) a line every two seconds instead of a redrawn bar.
      process.stderr.write(`${lines.join("\n")}\n`);
      lastPrint = Date.now();
    }
    if (progress.length === runIds.length && progress.every((p) => isRunFinished(p.status))) {
      if (!tty && !opts.quiet) process.stderr.write(`${lines.join("\n")}\n`);
      return;
    }
    if (Date.now() - started > opts.timeoutMs) throw new Error(`runs did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, tty ? 300 : 500));
  }
}

/** The summaries as the CLI prints them (the table, and `--json`). */
export async function runSummaries(db: Db, runIds: string[]) {
  return (await getRunSummaries(db, runIds)).map((r) => ({
    runId: r.runId,
    org: r.orgName,
    orgId: r.orgId,
    status: r.status,
    members: r.membersTotal,
    levels: r.countsByLevel,
    bySource: r.countsBySource,
    llmCalls: r.llmCalls,
    tokens: r.tokens,
    errors: r.errors,
    errorDetails: r.errorDetails,
    expiredOverrides: r.expiredOverrides,
    rateLimitedResponses: r.rateLimitedResponses,
    llmStoppedReason: r.llmStopped?.reason ?? null,
    durationMs: r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  }));
}

export type RunSummary = Awaited<ReturnType<typeof runSummaries>>[number];

/** All input tokens, and the share served from the prompt cache (billed at a tenth of the price). */
function inputTokens(t: { input: number; cacheRead: number; cacheWrite: number }): string {
  const all = t.input + t.cacheRead + t.cacheWrite;
  return all === 0 ? "0" : `${all.toLocaleString("en-US")} (${Math.round((100 * t.cacheRead) / all)}%)`;
}

const STOP_REASONS: Record<string, string> = {
  spend_limit: "the provider's spend limit was reached (raise it, or wait for the next billing period)",
};

/** One plain line per run that stopped calling the LLM, for under the table. */
export function summaryNotes(summaries: RunSummary[]): string[] {
  return summaries
    .filter((s) => s.llmStoppedReason)
    .map((s) => {
      const reason = s.llmStoppedReason as string;
      const members = (s.errorDetails as { fallbackReasons?: Record<string, number> } | null)?.fallbackReasons?.[reason] ?? 0;
      return `! ${s.org}: LLM calls stopped, ${STOP_REASONS[reason] ?? reason}; ${members} members got the rules result.`;
    });
}

export function summaryTable(summaries: RunSummary[]): string {
  const src = (s: RunSummary, k: string) => s.bySource[k] ?? 0;
  const rows = summaries.map((s) => [
    s.org,
    s.status,
    s.members,
    s.levels.highly_engaged,
    s.levels.moderate,
    s.levels.at_risk,
    s.levels.new,
    s.levels.inactive,
    `${src(s, "rules")}/${src(s, "llm")}/${src(s, "fallback")}/${src(s, "carried")}`,
    s.llmCalls,
    inputTokens(s.tokens),
    s.errors,
    s.durationMs === null ? "-" : `${(s.durationMs / 1000).toFixed(1)}s`,
  ]);
  const total = (f: (s: RunSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  rows.push([
    "TOTAL",
    "",
    total((s) => s.members),
    total((s) => s.levels.highly_engaged),
    total((s) => s.levels.moderate),
    total((s) => s.levels.at_risk),
    total((s) => s.levels.new),
    total((s) => s.levels.inactive),
    `${total((s) => src(s, "rules"))}/${total((s) => src(s, "llm"))}/${total((s) => src(s, "fallback"))}/${total((s) => src(s, "carried"))}`,
    total((s) => s.llmCalls),
    inputTokens({
      input: total((s) => s.tokens.input),
      cacheRead: total((s) => s.tokens.cacheRead),
      cacheWrite: total((s) => s.tokens.cacheWrite),
    }),
    total((s) => s.errors),
    "",
  ]);
  return table(
    [
      "organisation",
      "status",
      "members",
      "highly_engaged",
      "moderate",
      "at_risk",
      "new",
      "inactive",
      "rules/llm/fallback/carried",
      "llm calls",
      "input tokens (cached)",
      "errors",
      "time",
    ],
    rows,
  ).concat(
    summaryNotes(summaries)
      .map((note) => `\n${note}`)
      .join(""),
  );
}
