import { classifierFromEnv, createClassifier, DEFAULT_ANTHROPIC_MODEL, DEFAULT_MEMBERS_PER_REQUEST } from "@engagement/anthropic";
import { type Classifier, EngagementSignals, LlmError } from "@engagement/engagement";
import type { z } from "zod";

export interface ClassifyCommandInput {
  classifier: "rules" | "anthropic";
  /** The JSON text read from --file or stdin: an array of EngagementSignals. */
  input: string;
  /** The ANTHROPIC_* settings (the CLI's env module); the key is required for --classifier anthropic. */
  anthropic?: { apiKey: string; baseURL?: string; model?: string; maxTokens?: number; timeoutMs?: number; membersPerRequest?: number };
}

export interface ClassifyCommandOutput {
  /** 0 success; 1 the classifier failed (API error); 2 the invocation or the input is wrong. */
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

/** One line of output: what a person checking a batch by hand needs, in input order. */
export interface ClassifyCommandRow {
  level: string;
  source: string;
  adminExplanation: string;
  memberExplanation: string;
}

const usageError = (message: string): ClassifyCommandOutput => ({ exitCode: 2, stdout: "", stderr: `${message}\n` });

/** `input[3].attended90` — the path a person finds in their file. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : `${out}.${String(key)}`), "input");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const received = /received (\w+)/.exec(issue.message)?.[1];
    return `expected ${issue.expected}${received ? `, received ${received}` : ""}`;
  }
  if (issue.code === "unrecognized_keys") return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return issue.message;
}

/** Parses and validates the whole batch before classifying any of it, so a bad file costs no API calls. */
export function parseSignalsBatch(input: string): { ok: true; signals: EngagementSignals[] } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(input);
  } catch (error) {
    return { ok: false, message: `input is not valid JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(raw)) return { ok: false, message: "input: expected a JSON array of engagement signals" };

  const errors: string[] = [];
  const signals: EngagementSignals[] = [];
  raw.forEach((item, index) => {
    const parsed = EngagementSignals.safeParse(item);
    if (parsed.success) signals.push(parsed.data);
    else for (const issue of parsed.error.issues) errors.push(`${formatPath([index, ...issue.path])}: ${describeIssue(issue)}`);
  });
  return errors.length > 0 ? { ok: false, message: errors.join("\n") } : { ok: true, signals };
}

function buildClassifier(args: ClassifyCommandInput): Classifier | string {
  if (args.classifier === "rules") return createClassifier({ kind: "rules" });
  if (args.classifier !== "anthropic") return `unknown classifier "${String(args.classifier)}" (use rules or anthropic)`;
  if (!args.anthropic?.apiKey) return "the anthropic classifier needs an API key (ANTHROPIC_API_KEY)";
  const { apiKey, baseURL, model, maxTokens, timeoutMs, membersPerRequest } = args.anthropic;
  // The same construction as the worker's, from the same variables.
  return classifierFromEnv({
    ENGAGEMENT_CLASSIFIER: "anthropic",
    ANTHROPIC_API_KEY: apiKey,
    ANTHROPIC_BASE_URL: baseURL,
    ANTHROPIC_MODEL: model ?? DEFAULT_ANTHROPIC_MODEL,
    ANTHROPIC_MAX_TOKENS: maxTokens ?? 1024,
    ANTHROPIC_TIMEOUT_MS: timeoutMs ?? 60_000,
    LLM_MEMBERS_PER_REQUEST: membersPerRequest ?? DEFAULT_MEMBERS_PER_REQUEST,
  });
}

/** `engagement classify`: JSON array of signals in, JSON array of classifications out, same order. */
export async function runClassifyCommand(args: ClassifyCommandInput): Promise<ClassifyCommandOutput> {
  const classifier = buildClassifier(args);
  if (typeof classifier === "string") return usageError(classifier);
  const batch = parseSignalsBatch(args.input);
  if (!batch.ok) return usageError(batch.message);

  // Together, as the worker sends them (several members per request); results come back in input order.
  let results: Awaited<ReturnType<Classifier["classifyMany"]>>;
  try {
    results = await classifier.classifyMany(batch.signals);
  } catch (error) {
    if (!(error instanceof LlmError)) throw error;
    return { exitCode: 1, stdout: "", stderr: `${error.name}: ${error.message}\n` };
  }
  const rows: ClassifyCommandRow[] = results.map(({ level, source, adminExplanation, memberExplanation }) => ({
    level,
    source,
    adminExplanation,
    memberExplanation,
  }));
  return { exitCode: 0, stdout: `${JSON.stringify(rows, null, 2)}\n`, stderr: "" };
}
