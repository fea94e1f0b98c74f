// Preloaded by the import benchmark (node --import): writes the process's peak resident memory when it exits,
// so the figure is the CLI's own, not the benchmark's.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  if (process.env.RECORD_RSS_FILE) writeFileSync(process.env.RECORD_RSS_FILE, JSON.stringify(process.resourceUsage()));
});
