import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "@jest/globals";
import { parseRateList } from "./fault-rates.ts";
import { FAULT_KINDS } from "./faults.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildClassificationBody } from "./test-builders.ts";

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function outcomes(options: Parameters<typeof startFakeAnthropic>[0], requests: number): Promise<string[]> {
  fake = fake ?? (await startFakeAnthropic(options));
  const client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
  const seen: string[] = [];
  for (let i = 0; i < requests; i++) {
    const result = await client.messages.create(buildClassificationBody()).then(
      (m) => m.stop_reason ?? "none",
      (e: unknown) => String((e as InstanceType<typeof Anthropic.APIError>).status),
    );
    seen.push(result);
  }
  return seen;
}

describe("fault rates", () => {
  it("applies each kind at about its rate, the same faults for the same seed", async () => {
    const options = { faultRates: { rate_limited: 0.2, overloaded: 0.1 }, faultSeed: 7 };
    const first = await outcomes(options, 300);
    fake?.reset();
    const replay = await outcomes(options, 300);

    expect(replay).toEqual(first);
    const count = (s: string) => first.filter((o) => o === s).length;
    expect(count("429")).toBeGreaterThan(40);
    expect(count("429")).toBeLessThan(80);
    expect(count("529")).toBeGreaterThan(12);
    expect(count("529")).toBeLessThan(45);
    expect(count("tool_use")).toBe(300 - count("429") - count("529"));
    expect(fake?.stats().faulted).toBe(count("429") + count("529"));
  });

  it("draws other faults with another seed", async () => {
    const a = await outcomes({ faultRates: { server_error: 0.3 }, faultSeed: 1 }, 60);
    await fake?.stop();
    fake = undefined;
    const b = await outcomes({ faultRates: { server_error: 0.3 }, faultSeed: 2 }, 60);
    expect(b).not.toEqual(a);
  });

  it("leaves requests to queued faults and the fault mode first", async () => {
    fake = await startFakeAnthropic({ faultRates: { overloaded: 1 } });
    fake.fault("refusal");
    fake.setFaultMode("text_only");
    expect(await outcomes({}, 3)).toEqual(["refusal", "end_turn", "end_turn"]);
    fake.setFaultMode(null);
    expect(await outcomes({}, 1)).toEqual(["529"]);
  });

  it("refuses an unknown kind or a rate outside [0, 1]", async () => {
    await expect(startFakeAnthropic({ faultRates: { overloaded: 1.5 } })).rejects.toThrow(/overloaded/);
    await expect(startFakeAnthropic({ faultRates: { nope: 0.1 } as never })).rejects.toThrow(/nope/);
  });
});

describe("parseRateList", () => {
  it("reads kind=probability pairs", () => {
    expect(parseRateList("rate_limited=0.05, overloaded=.01", FAULT_KINDS)).toEqual({ rate_limited: 0.05, overloaded: 0.01 });
    expect(parseRateList("", FAULT_KINDS)).toEqual({});
  });

  it.each([
    ["overloaded", /kind=probability/],
    ["nope=0.1", /unknown kind "nope"/],
    ["overloaded=2", /between 0 and 1/],
  ])("refuses %s", (text, message) => {
    expect(() => parseRateList(text, FAULT_KINDS)).toThrow(message);
  });
});
