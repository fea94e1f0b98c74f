export * from "./anthropic-classifier.ts";
export { parseRetryAfterMs, toLlmError } from "./anthropic-errors.ts";
export { buildClassificationRequest, type ClassificationRequest, type ClassificationRequestInput } from "./classification-request.ts";
export * from "./classifier-from-env.ts";
export * from "./create-classifier.ts";
export { type LimitState, type ProviderRateLimits, readRateLimits } from "./rate-limit-headers.ts";
