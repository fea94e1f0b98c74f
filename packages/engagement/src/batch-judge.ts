// Judging through the provider's Message Batches: the same requests as in real time, submitted together and
// answered within hours at a discount. The domain names what a run needs; the adapter (packages/anthropic)
// talks to the API.
import type { ClassificationResult } from "./classification-result.ts";
import type { EngagementSignals } from "./signals.ts";

/** One request of a batch: an opaque id (never a member's) and the judged members it asks about, in order. */
export interface BatchGroup {
  customId: string;
  signals: EngagementSignals[];
}

export interface SubmittedBatch {
  batchId: string;
  /** The custom ids of the groups this batch holds (the adapter splits to stay within the documented limits). */
  customIds: string[];
}

export interface BatchProgress {
  status: "in_progress" | "canceling" | "ended";
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/**
 * The answer to one request of a batch: per member, in the group's order, the model's result, or null when it
 * must be judged again in real time (the request errored, expired or was canceled, or that member's item was
 * missing or did not pass the checks). `failure` says why, for the log.
 */
export interface BatchItemResult {
  customId: string;
  results: (ClassificationResult | null)[];
  failure: string | null;
}

export interface BatchJudge {
  /**
   * Submits the groups (each at most the classifier's membersPerRequest members, all judged ones), as one or more
   * batches; `onSubmitted` is awaited after each batch is created and before the next, so the caller records it
   * while a later create may still fail (no batch exists that nobody knows of).
   */
  submit(groups: readonly BatchGroup[], onSubmitted: (batch: SubmittedBatch) => Promise<void>): Promise<SubmittedBatch[]>;
  progress(batchId: string): Promise<BatchProgress>;
  /** The results of an ended batch, streamed; `signalsOf` gives back the members of a custom id. */
  results(batchId: string, signalsOf: (customId: string) => EngagementSignals[] | undefined): AsyncIterable<BatchItemResult>;
  cancel(batchId: string): Promise<void>;
}
