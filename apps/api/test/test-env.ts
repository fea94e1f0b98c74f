// Environment read by the API's tests and their helper scripts (the app itself reads only src/env.ts).
/** A Chromium or Chrome binary for the Bull Board browser test; unset: Debian's, else the packaged one. */
export const TEST_CHROMIUM_PATH = process.env.CHROMIUM_PATH || undefined;
/**
 * Requests per route in the fuzz test (fuzz.test.ts), its fast-check seed, and the time its requests may take in
 * all (on a loaded machine a route gets fewer runs; 100 runs x 31 routes take about 30 s here when it is quiet).
 */
export const TEST_FUZZ_RUNS = Number(process.env.FUZZ_RUNS || 100);
export const TEST_FUZZ_SEED = Number(process.env.FUZZ_SEED || 20_261_202);
export const TEST_FUZZ_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS || 40_000);
