// Builds a migrated template database for this test run; test files clone it (packages/db/src/testing).
// It runs in a tsx child process because Jest loads global setup outside its ES-module sandbox, where the
// WebAssembly schema engine's ES module cannot be imported. The name is per run, so two runs never collide;
// workers inherit it through the environment.
import { spawnSync } from "node:child_process";

export function runTemplateScript(args) {
  const result = spawnSync("pnpm", ["--filter", "@engagement/db", "exec", "tsx", "scripts/prepare-test-template.ts", ...args], {
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`test template database: ${args.join(" ")} failed (see above)`);
}

export default function globalSetup() {
  process.env.ENGAGEMENT_TEST_TEMPLATE = `engagement_tpl_${process.pid}_${Date.now().toString(36)}`;
  runTemplateScript([process.env.ENGAGEMENT_TEST_TEMPLATE]);
}
