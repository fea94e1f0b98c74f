// Accuracy, per-level recall, confusion matrix and agreement, plus their plain-text tables.
import { ENGAGEMENT_LEVELS, type EngagementLevel } from "@engagement/engagement";

export interface Scored {
  id: string;
  expected: EngagementLevel;
  actual: EngagementLevel;
}

export interface Accuracy {
  total: number;
  correct: number;
  perLevel: Record<EngagementLevel, { total: number; correct: number }>;
  /** confusion[expected][actual] = count */
  confusion: Record<EngagementLevel, Record<EngagementLevel, number>>;
  mistakes: Scored[];
}

const levelRecord = <T>(make: () => T) => Object.fromEntries(ENGAGEMENT_LEVELS.map((l) => [l, make()])) as Record<EngagementLevel, T>;

export function accuracy(rows: Scored[]): Accuracy {
  const perLevel = levelRecord(() => ({ total: 0, correct: 0 }));
  const confusion = levelRecord(() => levelRecord(() => 0));
  const mistakes: Scored[] = [];
  for (const row of rows) {
    perLevel[row.expected].total++;
    confusion[row.expected][row.actual]++;
    if (row.expected === row.actual) perLevel[row.expected].correct++;
    else mistakes.push(row);
  }
  return { total: rows.length, correct: rows.length - mistakes.length, perLevel, confusion, mistakes };
}

export const pct = (n: number, d: number) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}%`);

/** A GitHub-flavoured Markdown table: readable in a terminal and in RESULTS.md alike. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

export function accuracyTables(a: Accuracy): string {
  const perLevel = table(
    ["expected level", "cases", "correct", "accuracy"],
    [
      ...ENGAGEMENT_LEVELS.map((l) => [l, a.perLevel[l].total, a.perLevel[l].correct, pct(a.perLevel[l].correct, a.perLevel[l].total)]),
      ["all", a.total, a.correct, pct(a.correct, a.total)],
    ],
  );
  const confusion = table(
    ["expected \\ rules", ...ENGAGEMENT_LEVELS],
    ENGAGEMENT_LEVELS.map((e) => [e, ...ENGAGEMENT_LEVELS.map((x) => a.confusion[e][x])]),
  );
  return `${perLevel}\n\nConfusion matrix (rows: expected label, columns: rules classifier):\n\n${confusion}`;
}
