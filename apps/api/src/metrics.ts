// Prometheus metrics, computed at scrape time from the database (the record of what ran) and from BullMQ's
// job counts, so every API replica reports the same numbers and nothing is lost on restart. Counters
// (_total) are sums over stored runs. Counts only: no names, ids or texts.
import { type Db, RUN_STATUSES, readEngagementMetrics } from "@engagement/db";
import type { Queues } from "@engagement/queue";

const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Metric {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Sample[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      lines.push(`${m.name}${text} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export async function collectMetrics(db: Db, queues: Queues): Promise<Metric[]> {
  const [m, queueCounts] = await Promise.all([
    readEngagementMetrics(db),
    Promise.all(Object.values(queues).map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...QUEUE_STATES) }))),
  ]);
  return [
    {
      name: "engagement_runs",
      help: "Engagement runs by status.",
      type: "gauge",
      samples: RUN_STATUSES.map((status) => ({ labels: { status }, value: m.runsByStatus.get(status) ?? 0 })),
    },
    {
      name: "engagement_members_classified",
      help: "Members with a current engagement, by source and computed level.",
      type: "gauge",
      samples: m.membersBySourceAndLevel.map((x) => ({ labels: { source: x.source, level: x.level }, value: x.count })),
    },
    {
      name: "engagement_llm_calls_total",
      help: "Messages API calls made by all runs.",
      type: "counter",
      samples: [{ value: m.llmCalls }],
    },
    {
      name: "engagement_llm_tokens_total",
      help: "Tokens used by all runs, by kind.",
      type: "counter",
      samples: [
        { labels: { kind: "input" }, value: m.tokens.input },
        { labels: { kind: "output" }, value: m.tokens.output },
        { labels: { kind: "cache_read" }, value: m.tokens.cacheRead },
        { labels: { kind: "cache_write" }, value: m.tokens.cacheWrite },
      ],
    },
    {
      name: "engagement_llm_rate_limited_total",
      help: "Times a classify job was sent back to wait by a 429/529 answer (retry-after).",
      type: "counter",
      samples: [{ value: m.rateLimitedResponses }],
    },
    {
      name: "engagement_llm_rate_limited_members_total",
      help: "Members given the rules result because the provider kept answering 429 (from run error details).",
      type: "counter",
      samples: [{ value: m.rateLimitedFallbacks }],
    },
    {
      name: "engagement_llm_spend_limited_runs_total",
      help: "Runs that stopped calling the LLM because the provider's spend limit was reached.",
      type: "counter",
      samples: [{ value: m.spendLimitedRuns }],
    },
    {
      name: "engagement_llm_spend_limited_members_total",
      help: "Members given the rules result because the provider's spend limit was reached (reason spend_limit).",
      type: "counter",
      samples: [{ value: m.spendLimitedFallbacks }],
    },
    {
      name: "engagement_queue_jobs",
      help: "BullMQ jobs per queue and state.",
      type: "gauge",
      samples: queueCounts.flatMap(({ queue, counts }) =>
        QUEUE_STATES.map((state) => ({ labels: { queue, state }, value: counts[state] ?? 0 })),
      ),
    },
  ];
}
