export { type ApiErrorBody, type ApiErrorType, apiErrorBody, ERROR_STATUS } from "./api-error.ts";
export { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from "./batch-request.ts";
export type { BatchItemFaultRates, BatchItemOutcome, BatchStats } from "./batch-store.ts";
export {
  CLASSIFICATION_TOOL,
  JudgeSignals,
  MAX_MEMBERS_PER_REQUEST,
  MULTI_CLASSIFICATION_TOOL,
  type PromptPayload,
  readClassificationPayload,
  readMembersPayload,
} from "./classification-prompt.ts";
export { CONTENT_FAULTS, type ContentFault, FAULT_KINDS, type FaultKind, type FaultRates } from "./faults.ts";
export { assess, type Classification, classify, JUDGE_LEVELS, type JudgeLevel, keyFactors } from "./judge.ts";
export { ADMIN_EXPLANATION_MAX, MEMBER_EXPLANATION_MAX } from "./judge-text.ts";
export { deniedTermsIn, MEMBER_DENIED_TERMS } from "./member-language.ts";
export { checkMessagesRequest, MessagesRequest, REMOVED_SAMPLING_PARAMS } from "./protocol.ts";
export { maxInWindow, type RateLimitOptions, rfc3339 } from "./rate-limit.ts";
export type { FakeAnthropicStats, RecordedRequest } from "./recorder.ts";
export type { MessageResponse } from "./respond.ts";
export { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from "./server.ts";
export { estimateTokens, type Usage } from "./usage.ts";
