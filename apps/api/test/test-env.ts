// Environment read by the API's tests and their helper scripts (the app itself reads only src/env.ts).
/** A Chromium or Chrome binary for the Bull Board browser test; unset: Debian's, else the packaged one. */
export const TEST_CHROMIUM_PATH = process.env.CHROMIUM_PATH || undefined;
