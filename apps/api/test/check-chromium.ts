// `npm test` runs this before the suite (scripts/bootstrap.mjs): it launches the browser the Bull Board test
// will use, and prints its path, or one line saying what to install and exits 1, so a missing browser stops
// the run up front instead of failing (or silently skipping) the browser test.
import { checkChromium } from "./chromium.ts";

try {
  console.log(`→ browser for the Bull Board test: ${await checkChromium()}`);
} catch (err) {
  console.error(`✗ ${(err as Error).message}`);
  process.exit(1);
}
