// Building a classifier from configuration, in one place: classifierFromEnv (worker, CLI) and the evaluation call it.
import { type Classifier, createRulesClassifier, type RubricThresholds } from "@engagement/engagement";
import { type AnthropicClassifierConfig, createAnthropicClassifier } from "./anthropic-classifier.ts";

export type { AnthropicClassifierConfig };

export type ClassifierConfig =
  | { kind: "rules"; thresholds?: Partial<RubricThresholds> }
  | ({ kind: "anthropic" } & AnthropicClassifierConfig);

export function createClassifier(config: ClassifierConfig): Classifier {
  if (config.kind === "rules") return createRulesClassifier(config.thresholds);
  const { kind: _kind, ...anthropic } = config;
  return createAnthropicClassifier(anthropic);
}
