// Message Batches for nightly runs (platform documentation, Batch processing): the same Messages bodies as in
// real time, submitted together, processed within 24 hours at half the price, results streamed as JSONL and
// matched by custom_id (they come back in any order). A batch holds at most 100,000 requests and 256 MB.
import type Anthropic from "@anthropic-ai/sdk";
import type {
  BatchGroup,
  BatchItemResult,
  BatchJudge,
  BatchProgress,
  ClassificationResult,
  EngagementSignals,
  SubmittedBatch,
} from "@engagement/engagement";
import { toLlmError } from "./anthropic-errors.ts";
import type { ClassificationRequest } from "./classification-request.ts";

/** The documented limits of one batch. */
export const MAX_BATCH_REQUESTS = 100_000;
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;
/** Room left for the envelope and for the difference between our byte count and the provider's. */
const BATCH_BYTES_BUDGET = Math.floor(MAX_BATCH_BYTES * 0.9);

export interface BatchJudgeDeps {
  client: Anthropic;
  /** The request body for these members, with the prompt cache's 1-hour lifetime. */
  buildRequest: (signals: readonly EngagementSignals[]) => ClassificationRequest;
  /** Each member's result from one answer, or null for those to judge again in real time. */
  readAnswer: (message: Anthropic.Message, signals: readonly EngagementSignals[]) => (ClassificationResult | null)[];
  /** Awaited before each Batches API call: its endpoints have a request limit of their own. */
  beforeApiCall?: () => Promise<void>;
}

export function createBatchJudge(deps: BatchJudgeDeps): BatchJudge {
  const call = async <T>(f: () => Promise<T>): Promise<T> => {
    await deps.beforeApiCall?.();
    try {
      return await f();
    } catch (error) {
      throw toLlmError(error);
    }
  };

  return {
    async submit(groups: readonly BatchGroup[], onSubmitted): Promise<SubmittedBatch[]> {
      const submitted: SubmittedBatch[] = [];
      let requests: Anthropic.Messages.Batches.BatchCreateParams.Request[] = [];
      let bytes = 0;
      const flush = async () => {
        if (requests.length === 0) return;
        const body = requests;
        const batch = await call(() => deps.client.messages.batches.create({ requests: body }));
        const done = { batchId: batch.id, customIds: body.map((r) => r.custom_id) };
        await onSubmitted(done);
        submitted.push(done);
        requests = [];
        bytes = 0;
      };
      for (const group of groups) {
        const request = { custom_id: group.customId, params: deps.buildRequest(group.signals) };
        const size = Buffer.byteLength(JSON.stringify(request)) + 1;
        if (requests.length >= MAX_BATCH_REQUESTS || bytes + size > BATCH_BYTES_BUDGET) await flush();
        requests.push(request);
        bytes += size;
      }
      await flush();
      return submitted;
    },

    async progress(batchId: string): Promise<BatchProgress> {
      const batch = await call(() => deps.client.messages.batches.retrieve(batchId));
      return { status: batch.processing_status, ...batch.request_counts };
    },

    async *results(batchId, signalsOf): AsyncIterable<BatchItemResult> {
      const stream = await call(() => deps.client.messages.batches.results(batchId));
      for await (const item of stream) {
        const signals = signalsOf(item.custom_id);
        // A custom id this run did not send (another client's batch id mixed up) is not ours to read.
        if (!signals) continue;
        const { result } = item;
        if (result.type === "succeeded") {
          yield { customId: item.custom_id, results: deps.readAnswer(result.message, signals), failure: null };
        } else {
          const failure = result.type === "errored" ? `errored: ${result.error.error.type}: ${result.error.error.message}` : result.type;
          yield { customId: item.custom_id, results: signals.map(() => null), failure };
        }
      }
    },

    async cancel(batchId: string): Promise<void> {
      await call(() => deps.client.messages.batches.cancel(batchId));
    },
  };
}
