// `tsx scripts/prepare-test-template.ts <name>` builds it; `... <name> --drop` removes it.
import { dropTestTemplate, prepareTestTemplate } from "../src/testing/index.ts";

const [name, flag] = process.argv.slice(2);
if (!name) throw new Error("usage: prepare-test-template.ts <template-name> [--drop]");
if (flag === "--drop") await dropTestTemplate(name);
else await prepareTestTemplate(name);
// The WebAssembly engine leaves a timer behind that would hold the process for ~10 s.
process.exit(0);
