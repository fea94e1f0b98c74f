import { classifyWithRules } from "@engagement/engagement";
import { buildSignals, SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { type FakeAnthropic, startFakeAnthropic } from "@engagement/fake-anthropic";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { runClassifyCommand } from "./classify.ts";

const batch = [SIGNALS_BY_LEVEL.highly_engaged, SIGNALS_BY_LEVEL.new, SIGNALS_BY_LEVEL.at_risk, SIGNALS_BY_LEVEL.inactive];

describe("runClassifyCommand with the rules classifier", () => {
  it("prints one result per input, in input order, with exactly the four fields", async () => {
    const out = await runClassifyCommand({ classifier: "rules", input: JSON.stringify(batch) });
    expect(out).toMatchObject({ exitCode: 0, stderr: "" });
    const rows = JSON.parse(out.stdout);
    expect(rows.map((r: { level: string }) => r.level)).toEqual(["highly_engaged", "new", "at_risk", "inactive"]);
    for (const [i, row] of rows.entries()) {
      expect(Object.keys(row)).toEqual(["level", "source", "adminExplanation", "memberExplanation"]);
      const expected = classifyWithRules(batch[i] ?? buildSignals());
      expect(row).toEqual({
        level: expected.level,
        source: "rules",
        adminExplanation: expected.adminExplanation,
        memberExplanation: expected.memberExplanation,
      });
    }
  });

  it("prints an empty array for an empty batch", async () => {
    expect(await runClassifyCommand({ classifier: "rules", input: "[]" })).toMatchObject({ exitCode: 0, stdout: "[]\n" });
  });

  it("names the index and field of a wrongly typed value, exit 2, nothing on stdout", async () => {
    const bad = [...batch.slice(0, 3), { ...buildSignals(), attended90: "three" }];
    const out = await runClassifyCommand({ classifier: "rules", input: JSON.stringify(bad) });
    expect(out.exitCode).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain("input[3].attended90: expected number");
  });

  it("names a missing field", async () => {
    const { noShows90: _dropped, ...missing } = buildSignals();
    const out = await runClassifyCommand({ classifier: "rules", input: JSON.stringify([missing]) });
    expect(out).toMatchObject({ exitCode: 2 });
    expect(out.stderr).toContain("input[0].noShows90: expected number, received undefined");
  });

  it("reports inconsistent counts and unknown fields with their place", async () => {
    const out = await runClassifyCommand({
      classifier: "rules",
      input: JSON.stringify([buildSignals(), buildSignals({ attended90: 50 }), { ...buildSignals(), email: "a@b.c" }]),
    });
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain("input[1].attended90: attended30 <= attended90 <= attended180 must hold");
    expect(out.stderr).toContain('input[2]: unknown field(s) "email"');
  });

  it("rejects text that is not JSON with a clear message", async () => {
    const out = await runClassifyCommand({ classifier: "rules", input: "[{tenureDays: 3" });
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toMatch(/^input is not valid JSON: /);
  });

  it("rejects JSON that is not an array", async () => {
    const out = await runClassifyCommand({ classifier: "rules", input: JSON.stringify(buildSignals()) });
    expect(out).toMatchObject({ exitCode: 2, stderr: "input: expected a JSON array of engagement signals\n" });
  });

  it("refuses the anthropic classifier without an API key", async () => {
    const out = await runClassifyCommand({ classifier: "anthropic", input: "[]" });
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain("API key");
  });
});

describe("runClassifyCommand with the anthropic classifier", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: "cli-key" });
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => fake.reset());
  const run = (input: unknown) =>
    runClassifyCommand({ classifier: "anthropic", input: JSON.stringify(input), anthropic: { apiKey: "cli-key", baseURL: fake.url } });

  it("asks the model only about members the facts do not decide, keeping input order", async () => {
    const out = await run(batch);
    expect(out.exitCode).toBe(0);
    const rows = JSON.parse(out.stdout) as { level: string; source: string }[];
    expect(rows.map((r) => r.source)).toEqual(["llm", "rules", "llm", "rules"]);
    expect(rows[1]?.level).toBe("new");
    expect(rows[3]?.level).toBe("inactive");
    // The two judged members go together, in one request.
    expect(fake.requests).toHaveLength(1);
  });

  it("exits 1 with the error when the API is overloaded, printing no partial result", async () => {
    fake.fault("overloaded", 1);
    const out = await run([SIGNALS_BY_LEVEL.new, SIGNALS_BY_LEVEL.at_risk]);
    expect(out).toMatchObject({ exitCode: 1, stdout: "" });
    expect(out.stderr).toMatch(/^LlmOverloadedError: /);
  });

  it("validates the whole file before making any call", async () => {
    const out = await run([SIGNALS_BY_LEVEL.at_risk, { ...buildSignals(), tenureDays: -1 }]);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain("input[1].tenureDays");
    expect(fake.requests).toHaveLength(0);
  });
});
