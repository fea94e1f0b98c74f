import { prepareTestTemplate } from "../src/testing/index.ts";

await prepareTestTemplate();
// The WebAssembly engine leaves a timer behind that would hold the process for ~10 s.
process.exit(0);
