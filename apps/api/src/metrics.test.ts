import { describe, expect, it } from "@jest/globals";
import { renderPrometheus } from "./metrics.ts";

describe("Prometheus rendering", () => {
  it("writes HELP, TYPE and one line per sample with escaped labels", () => {
    const text = renderPrometheus([
      { name: "x_total", help: "Things.", type: "counter", samples: [{ value: 3 }] },
      {
        name: "y",
        help: "Ys by kind.",
        type: "gauge",
        samples: [
          { labels: { kind: 'a"b\\c' }, value: 1.5 },
          { labels: { kind: "d" }, value: Number.NaN },
        ],
      },
    ]);
    expect(text).toBe(
      [
        "# HELP x_total Things.",
        "# TYPE x_total counter",
        "x_total 3",
        "# HELP y Ys by kind.",
        "# TYPE y gauge",
        'y{kind="a\\"b\\\\c"} 1.5',
        'y{kind="d"} 0',
        "",
      ].join("\n"),
    );
  });
});
