// Builders for this package's tests; not exported from the package.
import type { JudgeSignals } from "./classification-prompt.ts";
import { CLASSIFICATION_TOOL, MULTI_CLASSIFICATION_TOOL } from "./classification-prompt.ts";
import { seededRandom } from "./random.ts";

// The package's PRNG, so "many varied inputs" are the same inputs on every run.
export { seededRandom };

export const TEST_MODEL = "claude-haiku-5-5";

/** A steady member who attends about half of a busy organisation's events. */
export function buildSignals(overrides: Partial<JudgeSignals> = {}): JudgeSignals {
  return {
    tenureDays: 400,
    orgEvents30: 3,
    orgEvents90: 8,
    orgEvents180: 16,
    attended30: 1,
    attended90: 4,
    attended180: 8,
    registered90: 4,
    noShows90: 0,
    upcomingRegistrations: 1,
    lastAttendedDaysAgo: 12,
    previousLevel: "moderate",
    ...overrides,
  };
}

export function classificationPrompt(signals: JudgeSignals, rubricSuggestion = "moderate"): string {
  return `Classify this member.\n\n\`\`\`json\n${JSON.stringify({ signals, rubricSuggestion }, null, 2)}\n\`\`\`\n`;
}

export const SYSTEM_PROMPT = "You judge member engagement for a membership organisation. ".repeat(20);

/** The request the project sends: cached system prompt and tool, forced tool, thinking off. */
export function buildClassificationBody(signals: JudgeSignals = buildSignals(), rubricSuggestion = "moderate") {
  return {
    model: TEST_MODEL,
    max_tokens: 1024,
    thinking: { type: "disabled" as const },
    system: [{ type: "text" as const, text: SYSTEM_PROMPT, cache_control: { type: "ephemeral" as const } }],
    tools: [
      {
        name: CLASSIFICATION_TOOL,
        description: "Record the engagement classification.",
        input_schema: { type: "object" as const, properties: { level: { type: "string" } }, required: ["level"] },
        cache_control: { type: "ephemeral" as const },
      },
    ],
    tool_choice: { type: "tool" as const, name: CLASSIFICATION_TOOL },
    messages: [{ role: "user" as const, content: classificationPrompt(signals, rubricSuggestion) }],
  };
}

/** Signals that respect the windows' nesting (30 ⊆ 90 ⊆ 180) but otherwise range widely. */
export function randomSignals(random: () => number): JudgeSignals {
  const int = (max: number) => Math.floor(random() * (max + 1));
  const orgEvents30 = int(6);
  const orgEvents90 = orgEvents30 + int(10);
  const orgEvents180 = orgEvents90 + int(12);
  const attended30 = int(orgEvents30);
  const attended90 = attended30 + int(orgEvents90 - orgEvents30);
  const attended180 = attended90 + int(orgEvents180 - orgEvents90);
  const registered90 = attended90 + int(5);
  const levels = [null, "highly_engaged", "moderate", "at_risk", "new", "inactive"];
  return {
    tenureDays: int(2000),
    orgEvents30,
    orgEvents90,
    orgEvents180,
    attended30,
    attended90,
    attended180,
    registered90,
    noShows90: registered90 - attended90,
    upcomingRegistrations: int(4),
    lastAttendedDaysAgo: attended180 === 0 && random() < 0.8 ? null : int(400),
    previousLevel: levels[int(levels.length - 1)] ?? null,
  };
}

/** The contract's strict-compatible input_schema for several members (descriptions left out). */
export const MULTI_INPUT_SCHEMA = {
  type: "object" as const,
  additionalProperties: false,
  required: ["classifications"],
  properties: {
    classifications: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["ref", "level", "adminExplanation", "memberExplanation", "keyFactors"],
        properties: {
          ref: { type: "string" },
          level: { type: "string", enum: ["highly_engaged", "moderate", "at_risk"] },
          adminExplanation: { type: "string" },
          memberExplanation: { type: "string" },
          keyFactors: { type: "array", minItems: 1, items: { type: "string" } },
        },
      },
    },
  },
};

export interface TestMember {
  ref: string;
  signals: JudgeSignals;
  rubricSuggestion?: string;
}

/** Members m1..mK with varied signals, the same on every call. */
export function buildMembers(count: number, seed = 42): TestMember[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({ ref: `m${i + 1}`, signals: randomSignals(random), rubricSuggestion: "moderate" }));
}

export function membersPrompt(members: unknown[]): string {
  return `Classify these members.\n\n\`\`\`json\n${JSON.stringify({ members }, null, 2)}\n\`\`\`\n`;
}

/** The several-member request of the wire contract: strict tool, forced, max_tokens 350 per member + 200. */
export function buildMembersBody(members: unknown[] = buildMembers(3)) {
  return {
    model: TEST_MODEL,
    max_tokens: 350 * members.length + 200,
    thinking: { type: "disabled" as const },
    system: [{ type: "text" as const, text: SYSTEM_PROMPT, cache_control: { type: "ephemeral" as const } }],
    tools: [
      {
        name: MULTI_CLASSIFICATION_TOOL,
        description: "Record one engagement classification per member.",
        strict: true,
        input_schema: MULTI_INPUT_SCHEMA,
        cache_control: { type: "ephemeral" as const },
      },
    ],
    tool_choice: { type: "tool" as const, name: MULTI_CLASSIFICATION_TOOL },
    messages: [{ role: "user" as const, content: membersPrompt(members) }],
  };
}
