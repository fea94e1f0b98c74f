// Builds the migrated template database once per test run. It runs in a tsx child process because Jest loads
// global setup outside its ES-module sandbox, where the WebAssembly schema engine's ES module cannot be imported.
import { spawnSync } from "node:child_process";

export default function globalSetup() {
  const result = spawnSync("pnpm", ["--filter", "@engagement/db", "exec", "tsx", "scripts/prepare-test-template.ts"], {
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("could not prepare the test template database (see above)");
}
