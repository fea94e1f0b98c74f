// Baseline 1, the original design (/work/shared/seed, phase 15): one process judging members one after another,
// one request per member and no prompt caching, a 100 ms pause between members and 500 ms between
// organisations. It had no facts-first rules, so every member is sent. The prompt and tool are today's (one
// member per request, no strict mode, no cache_control), so the comparison is about the design, not the wording. Re-created here as a small loop over the
// same signals (the data package's computeSignals) through the SDK against the same fake; the SDK's defaults
// (two retries honouring retry-after) stand in for the rate-limit handling it did not have.
import Anthropic from "@anthropic-ai/sdk";
import { computeSignals, type Db, listActiveMemberIds, listOrgIdsWithActiveMembers } from "@engagement/db";
import {
  buildSystemPrompt,
  buildUserMessage,
  CLASSIFICATION_TOOL_DESCRIPTION,
  CLASSIFICATION_TOOL_INPUT_SCHEMA,
  CLASSIFICATION_TOOL_NAME,
  evaluateRubric,
  memberRef,
  resolveThresholds,
} from "@engagement/engagement";
import type { FakeAnthropic } from "@engagement/fake-anthropic";
import { DEFAULT_ANTHROPIC_MODEL } from "@engagement/runtime";
import { FAKE_KEY } from "./fake-options.ts";
import type { Sample } from "./night-math.ts";

export interface OriginalResult {
  wallMs: number;
  membersTotal: number;
  early: Sample;
  last: Sample;
  answeredEarly: Sample;
  answeredLast: Sample;
  failed: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  fake: ReturnType<FakeAnthropic["stats"]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOriginalDesign(db: Db, fake: FakeAnthropic, asOf: Date, stopAfterMs: number): Promise<OriginalResult> {
  const client = new Anthropic({ apiKey: FAKE_KEY, baseURL: fake.url });
  const system = buildSystemPrompt(resolveThresholds());
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  const orgIds = await listOrgIdsWithActiveMembers(db);
  let membersTotal = 0;
  const membersByOrg = new Map<string, string[]>();
  for (const orgId of orgIds) {
    const ids = await listActiveMemberIds(db, orgId);
    membersByOrg.set(orgId, ids);
    membersTotal += ids.length;
  }
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let done = 0;
  let failed = 0;
  let early: Sample | null = null;
  let answeredEarly: Sample | null = null;
  outer: for (const orgId of orgIds) {
    const ids = membersByOrg.get(orgId) ?? [];
    // Signals per organisation in chunks, as the original computed them before its loop.
    for (let i = 0; i < ids.length; i += 1000) {
      for (const row of await computeSignals(db, orgId, asOf, ids.slice(i, i + 1000))) {
        if (elapsed() >= stopAfterMs) break outer;
        try {
          const message = await client.messages.create({
            model: DEFAULT_ANTHROPIC_MODEL,
            max_tokens: 1024,
            // The API version used here answers a forced tool with thinking on with a 400; the original predates that.
            thinking: { type: "disabled" },
            tools: [
              {
                name: CLASSIFICATION_TOOL_NAME,
                description: CLASSIFICATION_TOOL_DESCRIPTION,
                input_schema: CLASSIFICATION_TOOL_INPUT_SCHEMA,
              },
            ],
            tool_choice: { type: "tool", name: CLASSIFICATION_TOOL_NAME },
            system,
            messages: [
              {
                role: "user",
                content: buildUserMessage([
                  { ref: memberRef(0), signals: row.signals, rubricSuggestion: evaluateRubric(row.signals).level },
                ]),
              },
            ],
          });
          tokens.input += message.usage.input_tokens;
          tokens.output += message.usage.output_tokens;
          tokens.cacheRead += message.usage.cache_read_input_tokens ?? 0;
          tokens.cacheWrite += message.usage.cache_creation_input_tokens ?? 0;
        } catch {
          failed++;
        }
        done++;
        if (!early && elapsed() >= stopAfterMs / 2) {
          early = { ms: elapsed(), done };
          answeredEarly = { ms: elapsed(), done: fake.stats().answered };
        }
        await sleep(100);
      }
    }
    await sleep(500);
  }
  const wallMs = elapsed();
  return {
    wallMs,
    membersTotal,
    early: early ?? { ms: 0, done: 0 },
    last: { ms: wallMs, done },
    answeredEarly: answeredEarly ?? { ms: 0, done: 0 },
    answeredLast: { ms: wallMs, done: fake.stats().answered },
    failed,
    tokens,
    fake: fake.stats(),
  };
}
