/**
 * Failures a test can script. The first six never reach the model (they are answered before the request
 * is validated, as the real edge does); `slow` delays an otherwise normal answer; the rest are 200 answers
 * whose content is wrong in the ways a real model's can be.
 *   spend_limit           429 `enforced_spend_limit_reached`: the tier's monthly cap; no retry-after, and
 *                         "retrying ... fails" until the next month (rate limits page)
 *   contract_spend_limit  429 `contract_spend_limit_reached`: the contract's cap; no retry-after
 *   ramp_limit            429 `ramp_limit_exceeded`: usage grew too fast; "Retry after the time in the
 *                         retry-after header" (SDK 1.14 RampLimitExceededError)
 */
export const FAULT_KINDS = [
  "overloaded",
  "server_error",
  "rate_limited",
  "spend_limit",
  "contract_spend_limit",
  "ramp_limit",
  "slow",
  "malformed_tool_input",
  "refusal",
  "text_only",
  "max_tokens",
  "unsafe_member_text",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const CONTENT_FAULTS = ["malformed_tool_input", "refusal", "text_only", "max_tokens", "unsafe_member_text"] as const;
export type ContentFault = (typeof CONTENT_FAULTS)[number];

export function isContentFault(kind: FaultKind): kind is ContentFault {
  return (CONTENT_FAULTS as readonly string[]).includes(kind);
}

/** Queued one-off faults are used first, in order; the standing mode applies when the queue is empty. */
export class FaultSchedule {
  private queue: FaultKind[] = [];
  private mode: FaultKind | null = null;

  enqueue(kind: FaultKind, times: number): void {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind "${kind}"`);
    if (!Number.isInteger(times) || times < 1) throw new Error("fault times must be a positive integer");
    for (let i = 0; i < times; i++) this.queue.push(kind);
  }

  setMode(kind: FaultKind | null): void {
    if (kind !== null && !FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind "${kind}"`);
    this.mode = kind;
  }

  /** The fault for the request being handled now, consuming a queued one. */
  take(): FaultKind | null {
    return this.queue.shift() ?? this.mode;
  }

  pending(): readonly FaultKind[] {
    return [...this.queue];
  }

  clear(): void {
    this.queue = [];
    this.mode = null;
  }
}
