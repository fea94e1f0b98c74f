// The browser check `npm test` runs before the suite: a browser comes from the machine or the npm package,
// and a missing one is named with what to install, never skipped.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "@jest/globals";
import { CHROMIUM_HELP, findChromium } from "./chromium.ts";

describe("finding the browser for the Bull Board test", () => {
  it("refuses a CHROMIUM_PATH that does not exist, saying what to install", async () => {
    await expect(findChromium({ CHROMIUM_PATH: "/nonexistent/chromium" })).rejects.toThrow(CHROMIUM_HELP);
  });

  it("uses CHROMIUM_PATH when it exists", async () => {
    expect(await findChromium({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
  });

  it("without CHROMIUM_PATH finds Debian's chromium, else unpacks the packaged build into the temp directory", async () => {
    const path = await findChromium({});
    expect(path).toBe(existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : `${tmpdir()}/chromium`);
    expect(existsSync(path)).toBe(true);
  }, 60_000);
});
