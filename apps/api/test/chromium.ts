// The browser the Bull Board test drives, found the same way by the test and by `npm test`'s check before the
// suite (scripts/bootstrap.mjs runs check-chromium.ts): CHROMIUM_PATH if set, else Debian's /usr/bin/chromium,
// else the Chromium build that ships inside the @sparticuz/chromium npm package (a dev dependency: `pnpm
// install` brings it, no download at run time; x64 Linux only).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { TEST_CHROMIUM_PATH } from "./test-env.ts";

/** Flags for a headless Chromium on a machine whose network is closed (no background connections). */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];

export const CHROMIUM_HELP =
  "the Bull Board browser test needs Chromium: install Debian's chromium (apt-get install -y chromium), " +
  "or set CHROMIUM_PATH to a Chromium or Chrome binary";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export async function findChromium(env: { CHROMIUM_PATH?: string | undefined } = { CHROMIUM_PATH: TEST_CHROMIUM_PATH }) {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist; ${CHROMIUM_HELP}`);
    return env.CHROMIUM_PATH;
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (process.platform === "linux" && process.arch === "x64") {
    try {
      // Unpacks the packaged build into the temp directory on first use (a few seconds), then reuses it.
      const { default: packaged } = await import("@sparticuz/chromium");
      return await packaged.executablePath();
    } catch (err) {
      throw new Error(`the packaged Chromium (@sparticuz/chromium) could not be unpacked (${(err as Error).message}); ${CHROMIUM_HELP}`);
    }
  }
  throw new Error(`no Chromium found and no packaged build for ${process.platform}/${process.arch}; ${CHROMIUM_HELP}`);
}

/** Launches the browser once: finding a binary is not enough if its libraries are missing. */
export async function checkChromium(): Promise<string> {
  const executablePath = await findChromium();
  try {
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
    await browser.close();
  } catch (err) {
    const first = String((err as Error).message).split("\n")[0];
    throw new Error(`${executablePath} did not start (${first}); ${CHROMIUM_HELP}`);
  }
  return executablePath;
}
