import { seededRandom } from "./random.ts";

/**
 * Failures a test can script. The first six never reach the model (they are answered before the request
 * is validated, as the real edge does); `slow` delays an otherwise normal answer before its first byte; `stall`
 * starts a streamed answer (headers and message_start) and then sends nothing more for the same time (on a
 * request that is not streamed it is `slow`: its first byte is its whole answer); the rest are 200 answers
 * whose content is wrong in the ways a real model's can be.
 *   spend_limit           429 `enforced_spend_limit_reached`: the tier's monthly cap; no retry-after, and
 *                         "retrying ... fails" until the next month (rate limits page)
 *   contract_spend_limit  429 `contract_spend_limit_reached`: the contract's cap; no retry-after
 *   ramp_limit            429 `ramp_limit_exceeded`: usage grew too fast; "Retry after the time in the
 *                         retry-after header" (SDK 1.14 RampLimitExceededError)
 *   dropped_connection    a 200 whose headers and first bytes go out, then the socket is destroyed (a proxy or
 *                         load balancer dropping the connection mid-response)
 * The item faults spoil one classification of a several-member answer (the last one, so that a one-member
 * request shows it too) and leave the others right:
 *   missing_item   the item is left out
 *   invalid_item   its level is "somewhat_engaged", outside the enum
 *   unsafe_item    its memberExplanation says the member is "at risk"
 *   unknown_ref    its ref is replaced by one the request did not send
 * On the one-member tool, invalid_item and unsafe_item spoil its classification the same way; missing_item and
 * unknown_ref have nothing to act on there and leave the answer as it is.
 */
export const CONTENT_FAULTS = [
  "malformed_tool_input",
  "refusal",
  "text_only",
  "max_tokens",
  "unsafe_member_text",
  "missing_item",
  "invalid_item",
  "unsafe_item",
  "unknown_ref",
] as const;
export type ContentFault = (typeof CONTENT_FAULTS)[number];

export const FAULT_KINDS = [
  "overloaded",
  "server_error",
  "rate_limited",
  "spend_limit",
  "contract_spend_limit",
  "ramp_limit",
  "slow",
  "stall",
  "dropped_connection",
  ...CONTENT_FAULTS,
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export function isContentFault(kind: FaultKind): kind is ContentFault {
  return (CONTENT_FAULTS as readonly string[]).includes(kind);
}

/** A probability per request for each kind; checked in FAULT_KINDS order, the first drawn wins. */
export type FaultRates = Partial<Record<FaultKind, number>>;

function checkRates(rates: FaultRates): void {
  for (const [kind, rate] of Object.entries(rates)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown fault kind "${kind}"`);
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new Error(`fault rate for "${kind}" must be in [0, 1]`);
  }
}

/**
 * Queued one-off faults are used first, in order; the standing mode applies when the queue is empty; the rates
 * are drawn only when neither gives a fault.
 */
export class FaultSchedule {
  private queue: FaultKind[] = [];
  private mode: FaultKind | null = null;
  private random: () => number;

  constructor(
    private readonly rates: FaultRates = {},
    private readonly seed = 1,
  ) {
    checkRates(rates);
    this.random = seededRandom(seed);
  }

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
    return this.queue.shift() ?? this.mode ?? this.draw(FAULT_KINDS);
  }

  /**
   * The content fault for a model answer that is not an HTTP request of its own (a batch item): the queue is
   * left to the requests it was scripted for; the mode and the rates apply when they name a content fault.
   */
  takeContent(): ContentFault | null {
    if (this.mode !== null) return isContentFault(this.mode) ? this.mode : null;
    return this.draw(CONTENT_FAULTS);
  }

  pending(): readonly FaultKind[] {
    return [...this.queue];
  }

  /** Empties the queue and the mode and restarts the rates' random sequence, so a reset run replays the same faults. */
  clear(): void {
    this.queue = [];
    this.mode = null;
    this.random = seededRandom(this.seed);
  }

  private draw<K extends FaultKind>(kinds: readonly K[]): K | null {
    for (const kind of kinds) {
      const rate = this.rates[kind];
      if (rate !== undefined && rate > 0 && this.random() < rate) return kind;
    }
    return null;
  }
}
